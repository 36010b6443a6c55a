int overridden(void) { return 100; }
