// A first app for the unikernel: console output, arguments, environment, a thread, the GC,
// an exception with its message, and an exit status.
Console.WriteLine("Hello from a bootable C# app!");
Console.WriteLine($"args: [{string.Join(", ", args)}]");
Console.WriteLine($"GREETING={Environment.GetEnvironmentVariable("GREETING") ?? "(unset)"}");

int fromThread = 0;
var worker = new Thread(() => fromThread = Enumerable.Range(1, 100).Sum());
worker.Start();
worker.Join();
Console.WriteLine($"sum computed on a second thread: {fromThread}");

var garbage = new List<byte[]>();
for (int i = 0; i < 1000; i++) garbage.Add(new byte[1024]);
garbage.Clear();
GC.Collect();
Console.WriteLine($"after GC.Collect: generation-0 collections >= 1: {GC.CollectionCount(0) >= 1}");

try
{
    throw new InvalidOperationException("thrown and caught");
}
catch (InvalidOperationException e)
{
    Console.WriteLine($"exception: {e.Message}");
}
return args.Length;
