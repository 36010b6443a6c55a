namespace Hostile;

/// <summary>
/// Prints one "attack NAME: OUTCOME" line per attack (OUTCOME is one word: an errno name, OK, a signal name, or a
/// word the attack defines; details may follow in parentheses). An attack that throws is reported as ERROR and
/// the run goes on: only the kernel itself can stop it.
/// </summary>
internal sealed class AttackRun
{
    public AttackRun(FaultCatcher catcher, bool onUnikernel)
    {
        Catcher = catcher;
        OnUnikernel = onUnikernel;
    }

    public FaultCatcher Catcher { get; }

    /// <summary>Running in our image (uname's release says so) rather than natively on Linux.</summary>
    public bool OnUnikernel { get; }

    public int Count { get; private set; }

    public void Attack(string name, Func<string> attempt)
    {
        string outcome;
        try { outcome = attempt(); }
        catch (Exception e) { outcome = $"ERROR ({e.GetType().Name}: {e.Message})"; }
        Console.Out.WriteLine($"attack {name}: {outcome}");
        Console.Out.Flush();
        Count++;
    }

    /// <summary>
    /// A mapping an attack made by mistake of the kernel's: natively (where low addresses are the app's) it is
    /// removed so later attacks see the same address space as in the image; in the image, a range below the user
    /// window is left alone, since unmapping what the kernel wrongly handed out would be a second attack.
    /// Neither is a mapping of more than 1 GiB.
    /// </summary>
    public void ForgetMapping(long address, long length)
    {
        // A length no sane kernel mapped (an overflowing one it wrongly accepted) would unmap the app's own memory.
        if ((ulong)length > 1UL << 30) return;
        if (!OnUnikernel || (address >= KernelRanges.UserBase && address < KernelRanges.NonCanonicalLow))
            Sys.Call(Sys.Munmap, address, length);
    }

    public static bool DetectUnikernel()
    {
        Span<byte> uts = stackalloc byte[6 * 65];
        unsafe
        {
            fixed (byte* p = uts)
                if (Sys.Call(Sys.Uname, (long)p) != 0) return false;
        }
        string release = System.Text.Encoding.ASCII.GetString(uts.Slice(2 * 65, 65)).TrimEnd('\0');
        return release.Contains("unikernel", StringComparison.OrdinalIgnoreCase);
    }
}
