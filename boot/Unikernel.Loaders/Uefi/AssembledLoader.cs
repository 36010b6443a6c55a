namespace Unikernel.Loaders.Uefi;

/// <summary>The loader's .text: instructions from <see cref="EntryOffset"/> up to <see cref="InstructionBytes"/>, then read-only data.</summary>
internal sealed record AssembledLoader(byte[] Code, int EntryOffset, int InstructionBytes);
