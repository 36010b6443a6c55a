using Unikernel.Linker.Layout;
using Unikernel.Linker.Synthetic;
using static Unikernel.Formats.ElfConstants;

namespace Unikernel.Linker.Output;

/// <summary>
/// The program headers an executable has besides PT_LOAD/PT_NOTE: PT_TLS (the TLS template, which libc
/// copies per thread), PT_GNU_EH_FRAME (how unwinders find .eh_frame_hdr) and PT_GNU_STACK (asks the
/// kernel for a non-executable stack; its p_memsz is -z stack-size, which musl uses as the default size of
/// new threads' stacks). Their number is fixed before addresses, their values after.
/// </summary>
public static class ExecutableProgramHeaders
{
    public static int Count(SectionLayout layout) =>
        (layout.Sections.Exists(section => (section.Flags & SHF_TLS) != 0) ? 1 : 0)
        + (layout.Find(EhFrameHeader.SectionName) is not null ? 1 : 0)
        + 1;

    public static List<ProgramHeader> Build(SectionLayout layout, TlsLayout? tls, ulong stackSize)
    {
        var headers = new List<ProgramHeader>();
        if (tls is not null)
        {
            var first = layout.Sections.Find(section => (section.Flags & SHF_TLS) != 0)!;
            headers.Add(new ProgramHeader(PT_TLS, PF_R, first.FileOffset, tls.Start, tls.FileSize, tls.MemorySize,
                tls.Alignment));
        }
        if (layout.Find(EhFrameHeader.SectionName) is { } header)
        {
            headers.Add(new ProgramHeader(PT_GNU_EH_FRAME, PF_R, header.FileOffset, header.Address, header.Size,
                header.Size, 4));
        }
        // GNU ld's layout of it: no file bytes, no address, the requested size in p_memsz only.
        headers.Add(new ProgramHeader(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, stackSize, 16));
        return headers;
    }
}
