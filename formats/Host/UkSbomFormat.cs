namespace Unikernel.Formats
{
    // uk_sbom (docs/sbom.md; docs/boot-abi.md, "uk_sbom"): the image's software bill of materials, a CycloneDX 1.5 JSON
    // document in UTF-8, in a section that is not loaded (no SHF_ALLOC, in no PT_LOAD): it costs the guest no memory and
    // is outside the image hash, so carrying it changes nothing that boots. The linker writes it, `uk inspect --sbom`
    // prints and checks it; both compile this file.
    internal static class UkSbomFormat
    {
        public const string SectionName = "uk_sbom";
        public const string SpecVersion = "1.5";
        // metadata.component (the image) carries the image hash as its SHA-256; this property says what was hashed, so a
        // reader does not mistake it for the file's SHA-256.
        public const string ImageHashProperty = "unikernel:image-hash";
        public const string ImageHashDefinition = "SHA-256 of e_entry and each PT_LOAD (address, sizes, flags, bytes) with uk_image_info's hash field as zeros: docs/boot-abi.md, \"The image hash\"";
        public const string ImageRef = "image";
    }
}
