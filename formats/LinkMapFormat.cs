namespace Unikernel.Formats
{
    // The link map uk-ld writes (--map) and `uk inspect` reads: one tab-separated record per line, the first field
    // naming its kind, input rows indented by one tab under their section, numbers in hex with 0x, `#` lines for
    // column headers. Columns are only ever appended, so readers index by position and ignore extra ones.
    internal static class LinkMapFormat
    {
        public const string FormatLine = "# uk-ld link map v1";
        public const string HexPrefix = "0x";
        // The unit column of the linker's own sections, which belong to no link unit.
        public const string NoUnit = "-";
        public const string DefaultUnit = "default";

        public const string Entry = "entry";
        public const string Image = "image";
        public const string App = "app";
        public const string AppSegment = "app-segment";
        public const string ImageInfo = "image-info";
        public const string ImageInput = "image-input";
        public const string Unit = "unit";
        public const string Export = "export";
        public const string Segment = "segment";
        public const string Section = "section";
        public const string Input = "input";
        public const string File = "file";

        // The kind column of an image-input record.
        public const string InputKindLinked = "linked";
        public const string InputKindApp = "app";
    }
}
