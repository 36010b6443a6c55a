Console.WriteLine($"ImageApp: [{string.Join(", ", args)}]");
return args.Length;
