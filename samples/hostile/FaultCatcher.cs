using System.Runtime.InteropServices;

namespace Hostile;

/// <summary>What one probed snippet did: returned a value, or faulted with a signal.</summary>
internal readonly record struct ProbeResult(long Value, int Signal, long Code, ulong Address, ulong Rip)
{
    public bool Faulted => Signal != 0;

    public static string SignalName(int signal) => signal switch
    {
        Sys.SIGILL => "SIGILL", Sys.SIGTRAP => "SIGTRAP", Sys.SIGBUS => "SIGBUS", Sys.SIGFPE => "SIGFPE",
        Sys.SIGSEGV => "SIGSEGV", _ => "SIG" + signal,
    };

    /// <summary>The signal's name and its si_code / si_addr, or ALLOWED and the value the snippet returned.</summary>
    public string Describe() => Faulted
        ? $"{SignalName(Signal)} (si_code {Code}, si_addr 0x{Address:x})"
        : $"ALLOWED (returned 0x{Value:x})";
}

/// <summary>
/// Runs snippets that fault without letting the fault end the app. Our SA_SIGINFO handler (machine code,
/// NativeCode) is installed for SIGILL, SIGTRAP, SIGBUS, SIGFPE and SIGSEGV only while attacks run, with
/// SA_ONSTACK on an alternate stack of the attacking thread and our own restorer. It catches only faults of
/// the thread that armed it, inside a probe, and resumes that thread at the probe's recovery point; every
/// other fault goes on to the handler the .NET runtime had installed, and at the end the runtime's actions
/// are put back exactly as they were.
/// </summary>
internal sealed unsafe class FaultCatcher : IDisposable
{
    private const long SaSiginfo = 4, SaOnstack = 0x08000000, SaRestorer = 0x04000000;
    private const int AltStackSize = 64 * 1024;
    private static readonly int[] Signals = [Sys.SIGILL, Sys.SIGTRAP, Sys.SIGBUS, Sys.SIGFPE, Sys.SIGSEGV];

    private readonly Dictionary<int, KernelSigaction> _previous = new();
    private readonly nint _altStack;
    private readonly int _thread;
    private readonly StackT _previousAltStack;

    [StructLayout(LayoutKind.Sequential)]
    public struct KernelSigaction { public ulong Handler, Flags, Restorer, Mask; }

    [StructLayout(LayoutKind.Sequential)]
    private struct StackT { public ulong Sp; public int Flags; public int Pad; public ulong Size; }

    public FaultCatcher()
    {
        _thread = Sys.CurrentThreadId;
        _altStack = Marshal.AllocHGlobal(AltStackSize);
        StackT previous;
        Sys.Call(Sys.Sigaltstack, 0, (long)&previous);
        _previousAltStack = previous;
        InstallAlternateStack();
        foreach (int signal in Signals)
        {
            KernelSigaction action = new() { Handler = (ulong)NativeCode.FaultHandler, Flags = (ulong)(SaSiginfo | SaOnstack | SaRestorer), Restorer = (ulong)NativeCode.Restorer };
            KernelSigaction old;
            long r = Sys.Call(Sys.RtSigaction, signal, (long)&action, (long)&old, 8);
            if (r != 0) throw new InvalidOperationException($"rt_sigaction({signal}) failed: {Sys.Outcome(r)}");
            _previous[signal] = old;
            ((ulong*)(NativeCode.Data + NativeCode.PreviousHandlers))[signal] = old.Handler;
        }
    }

    /// <summary>A forged sigreturn frame may switch the alternate stack off (uc_stack): the attacks put it back.</summary>
    public void InstallAlternateStack()
    {
        StackT stack = new() { Sp = (ulong)_altStack, Flags = 0, Size = AltStackSize };
        Sys.Call(Sys.Sigaltstack, (long)&stack, 0);
    }

    public ProbeResult Probe(string snippet, long argument = 0) => Probe(NativeCode.Snippet(snippet), argument);

    public ProbeResult Probe(nint code, long argument)
    {
        if (Sys.CurrentThreadId != _thread) throw new InvalidOperationException("probes run on the thread that made the catcher");
        long value = NativeCode.RawProbe(code, argument, _thread);
        byte* d = NativeCode.Data;
        int signal = (int)*(long*)(d + NativeCode.CaughtSignal);
        return new ProbeResult(value, signal, *(long*)(d + NativeCode.CaughtCode), *(ulong*)(d + NativeCode.CaughtAddress),
                               *(ulong*)(d + NativeCode.CaughtRip));
    }

    public void Dispose()
    {
        foreach (var (signal, old) in _previous)
        {
            KernelSigaction action = old;
            Sys.Call(Sys.RtSigaction, signal, (long)&action, 0, 8);
        }
        // The thread's alternate stack as it was (none, or the runtime's); then ours is unused and can go.
        StackT previous = _previousAltStack;
        if (previous.Size == 0 || (previous.Flags & 2) != 0) previous = new StackT { Flags = 2 };   // SS_DISABLE
        Sys.Call(Sys.Sigaltstack, (long)&previous, 0);
        Marshal.FreeHGlobal(_altStack);
    }
}
