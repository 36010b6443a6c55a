using System.Runtime.InteropServices;
using Kernel.Files.Events;
using Kernel.Files;
using Kernel.LinuxAbi;

namespace Unikernel.Runtime.Tests.Files;

// The structures the kernel writes into the app's memory, against Linux x86-64's layouts.
public sealed unsafe class AbiLayoutTests
{
    [Fact]
    public void StatIs144BytesWithLinuxOffsets()
    {
        Assert.Equal(144, sizeof(LinuxStat));
        Assert.Equal(LinuxStat.Size, sizeof(LinuxStat));
        (string field, int offset)[] expected =
        {
            ("Device", 0), ("Inode", 8), ("LinkCount", 16), ("Mode", 24), ("UserId", 28), ("GroupId", 32),
            ("SpecialDevice", 40), ("FileSize", 48), ("PreferredBlockSize", 56), ("Blocks", 64),
            ("AccessSeconds", 72), ("AccessNanoseconds", 80), ("ModifySeconds", 88), ("ModifyNanoseconds", 96),
            ("ChangeSeconds", 104), ("ChangeNanoseconds", 112), ("Reserved", 120),
        };
        foreach (var (field, offset) in expected) Assert.Equal(offset, (int)Marshal.OffsetOf<LinuxStat>(field));
    }

    [Fact]
    public void StatfsIs120BytesWithLinuxOffsets()
    {
        Assert.Equal(120, sizeof(LinuxStatFs));
        (string field, int offset)[] expected =
        {
            ("Type", 0), ("BlockSize", 8), ("Blocks", 16), ("FreeBlocks", 24), ("AvailableBlocks", 32), ("Files", 40),
            ("FreeFiles", 48), ("FileSystemId0", 56), ("FileSystemId1", 60), ("NameLength", 64), ("FragmentSize", 72),
            ("Flags", 80), ("Spare", 88),
        };
        foreach (var (field, offset) in expected) Assert.Equal(offset, (int)Marshal.OffsetOf<LinuxStatFs>(field));
    }

    [Fact]
    public void DirentRecordsAreEightByteAlignedWithANulTerminatedName()
    {
        Assert.Equal(24, DirectoryEntryWriter.RecordSize(1));    // 19 + "." + NUL = 21 -> 24
        Assert.Equal(24, DirectoryEntryWriter.RecordSize(4));    // 19 + 4 + 1 = 24
        Assert.Equal(32, DirectoryEntryWriter.RecordSize(5));
        byte* buffer = stackalloc byte[64];
        new Span<byte>(buffer, 64).Fill(0xCC);
        byte* name = stackalloc byte[5];
        "hello"u8.CopyTo(new Span<byte>(name, 5));
        Assert.Equal(32, DirectoryEntryWriter.Write(buffer, 64, 0x1122334455667788, 7, FileTypeBits.DirentRegular, name, 5));
        Assert.Equal(0x1122334455667788UL, *(ulong*)buffer);
        Assert.Equal(7L, *(long*)(buffer + 8));
        Assert.Equal((ushort)32, *(ushort*)(buffer + 16));
        Assert.Equal(FileTypeBits.DirentRegular, buffer[18]);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer + 19, 5));
        for (int i = 24; i < 32; i++) Assert.Equal(0, buffer[i]);
        Assert.Equal(0xCC, buffer[32]);
        Assert.Equal(0, DirectoryEntryWriter.Write(buffer, 31, 1, 1, 0, name, 5));
    }

    [Fact]
    public void DeviceNumbersUseTheNewEncoding()
    {
        Assert.Equal(0x103UL, FileTypeBits.MakeDevice(1, 3));     // /dev/null
        Assert.Equal(0x501UL, FileTypeBits.MakeDevice(5, 1));     // /dev/console
        Assert.Equal(0x10002CUL, FileTypeBits.MakeDevice(0, 0x12C));   // minor's high bits go above the major
        Assert.Equal(0x12300UL, FileTypeBits.MakeDevice(0x123, 0));
    }

    [Fact]
    public void DirentTypesFollowTheModeBits()
    {
        Assert.Equal(4, FileTypeBits.DirentType(FileTypeBits.Directory | 0x1ED));
        Assert.Equal(8, FileTypeBits.DirentType(FileTypeBits.Regular));
        Assert.Equal(10, FileTypeBits.DirentType(FileTypeBits.Symlink));
        Assert.Equal(2, FileTypeBits.DirentType(FileTypeBits.CharacterDevice));
        Assert.Equal(1, FileTypeBits.DirentType(FileTypeBits.Fifo));
        Assert.Equal(0, FileTypeBits.DirentType(0));
    }

    [Fact]
    public void OpenFlagValuesAreLinuxX86_64s()
    {
        Assert.Equal(0x40, OpenFlags.Create);                      // 0100
        Assert.Equal(0x80000, OpenFlags.CloseOnExec);              // 02000000
        Assert.Equal(0x800, OpenFlags.NonBlocking);                // 04000
        Assert.Equal(0x10000, OpenFlags.Directory);                // 0200000
        Assert.Equal(0x200000, OpenFlags.PathOnly);                // 010000000
        Assert.Equal(0x410000, OpenFlags.TemporaryFile);           // 020200000
        Assert.Equal(-100, OpenFlags.AtCurrentDirectory);
        Assert.Equal(1u << 31, PollBits.EpollEdgeTriggered);
        Assert.Equal(12, EpollInstance.EventSize);
    }
}
