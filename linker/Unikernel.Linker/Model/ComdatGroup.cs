namespace Unikernel.Linker.Model;

/// <summary>An SHT_GROUP with GRP_COMDAT: its member sections are kept only in the first file that
/// has a group with this signature.</summary>
public sealed record ComdatGroup(string Signature, string GroupSectionName, int[] MemberSectionIndices);
