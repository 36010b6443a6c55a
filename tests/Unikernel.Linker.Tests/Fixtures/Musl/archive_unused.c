int never_referenced(int x) { return x - 1; }
