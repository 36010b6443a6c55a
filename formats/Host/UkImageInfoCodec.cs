using System.Runtime.InteropServices;
using System.Text;

namespace Unikernel.Formats
{
    /// <summary>An input of the link as <c>uk_image_info</c> records it.</summary>
    internal readonly record struct UkImageInfoInput(string Name, ulong Size, byte[] Sha256, ushort Kind);

    /// <summary>A decoded <c>uk_image_info</c> section; <see cref="Size"/> is its own size field.</summary>
    internal sealed record UkImageInfoContents(string Name, string Version, byte[] ImageSha256, IReadOnlyList<UkImageInfoInput> Inputs,
        int Size);

    /// <summary>
    /// The one encoder and decoder of <c>uk_image_info</c> (<see cref="UkImageInfoFormat"/>) on the host: the linker
    /// writes its section with it, <c>uk inspect</c> and the tests read and write sections with it. The strings follow
    /// the records (name, version, then the inputs' names), each NUL-terminated; the size is padded to 8.
    /// </summary>
    internal static class UkImageInfoCodec
    {
        public static byte[] Encode(string name, string version, ReadOnlySpan<byte> imageSha256, IReadOnlyList<UkImageInfoInput> inputs)
        {
            var strings = new MemoryStream();
            int stringsStart = UkImageInfoFormat.HeaderSize + UkImageInfoFormat.InputRecordSize * inputs.Count;
            (uint Offset, int Length) AddString(string text)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(text);
                uint offset = (uint)(stringsStart + strings.Length);
                strings.Write(bytes);
                strings.WriteByte(0);
                return (offset, bytes.Length);
            }

            var nameString = AddString(name);
            var versionString = AddString(version);
            var inputStrings = new (uint Offset, int Length)[inputs.Count];
            for (int i = 0; i < inputs.Count; i++)
                inputStrings[i] = AddString(inputs[i].Name);
            int alignment = UkImageInfoFormat.SizeAlignment;
            int size = (stringsStart + (int)strings.Length + alignment - 1) & ~(alignment - 1);

            var data = new byte[size];
            var header = new UkImageInfoHeader
            {
                Magic = UkImageInfoFormat.Magic,
                Size = (uint)size,
                InputCount = (uint)inputs.Count,
                NameOffset = nameString.Offset,
                NameLength = (uint)nameString.Length,
                VersionOffset = versionString.Offset,
                VersionLength = (uint)versionString.Length,
                InputsOffset = UkImageInfoFormat.HeaderSize,
                InputRecordSize = UkImageInfoFormat.InputRecordSize,
            };
            MemoryMarshal.Write(data, in header);
            imageSha256.CopyTo(data.AsSpan(UkImageInfoFormat.ImageSha256Offset, UkImageInfoFormat.Sha256Size));
            for (int i = 0; i < inputs.Count; i++)
            {
                var recordBytes = data.AsSpan(UkImageInfoFormat.HeaderSize + i * UkImageInfoFormat.InputRecordSize,
                    UkImageInfoFormat.InputRecordSize);
                var record = new UkImageInfoInputRecord
                {
                    Size = inputs[i].Size,
                    NameOffset = inputStrings[i].Offset,
                    NameLength = checked((ushort)inputStrings[i].Length),
                    Kind = inputs[i].Kind,
                };
                MemoryMarshal.Write(recordBytes, in record);
                inputs[i].Sha256.CopyTo(recordBytes);
            }
            strings.ToArray().CopyTo(data, stringsStart);
            return data;
        }

        /// <summary>
        /// The section's contents, or null with the reason in <paramref name="problem"/>; it never throws on bad bytes.
        /// Every offset is checked against the section's own size, and every string must end with its NUL inside it.
        /// </summary>
        public static UkImageInfoContents? Decode(ReadOnlySpan<byte> bytes, out string? problem)
        {
            problem = null;
            if (bytes.Length < UkImageInfoFormat.HeaderSize
                || MemoryMarshal.Read<UkImageInfoHeader>(bytes).Magic != UkImageInfoFormat.Magic)
                return Bad("no UKIMAGE1 magic", out problem);
            var header = MemoryMarshal.Read<UkImageInfoHeader>(bytes);
            if (header.Size < UkImageInfoFormat.HeaderSize || header.Size > bytes.Length)
                return Bad($"section size {header.Size} does not fit ({bytes.Length} bytes)", out problem);
            var section = bytes[..(int)header.Size];
            string? name = Text(section, header.NameOffset, header.NameLength);
            string? version = Text(section, header.VersionOffset, header.VersionLength);
            if (name is null || version is null)
                return Bad("name or version lies outside the section", out problem);
            if (header.InputRecordSize < UkImageInfoFormat.InputRecordSize || header.InputsOffset < UkImageInfoFormat.HeaderSize
                || header.InputsOffset + (ulong)header.InputCount * header.InputRecordSize > header.Size)
                return Bad("the input records do not fit the section", out problem);
            var inputs = new List<UkImageInfoInput>((int)header.InputCount);
            for (int i = 0; i < header.InputCount; i++)
            {
                var recordBytes = section.Slice((int)(header.InputsOffset + i * header.InputRecordSize), (int)header.InputRecordSize);
                var record = MemoryMarshal.Read<UkImageInfoInputRecord>(recordBytes);
                string? inputName = Text(section, record.NameOffset, record.NameLength);
                if (inputName is null)
                    return Bad($"input {i}'s name lies outside the section", out problem);
                inputs.Add(new UkImageInfoInput(inputName, record.Size, recordBytes[..UkImageInfoFormat.Sha256Size].ToArray(), record.Kind));
            }
            byte[] imageSha256 = section.Slice(UkImageInfoFormat.ImageSha256Offset, UkImageInfoFormat.Sha256Size).ToArray();
            return new UkImageInfoContents(name, version, imageSha256, inputs, (int)header.Size);
        }

        private static UkImageInfoContents? Bad(string reason, out string? problem)
        {
            problem = reason;
            return null;
        }

        private static string? Text(ReadOnlySpan<byte> section, uint offset, uint length)
        {
            if ((ulong)offset + length >= (ulong)section.Length || section[(int)(offset + length)] != 0)
                return null;
            return Encoding.UTF8.GetString(section.Slice((int)offset, (int)length));
        }
    }
}
