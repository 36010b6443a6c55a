namespace Kernel.Files
{
    // Writes the content of a synthesized file (/proc, /sys) at the moment it is opened, so every open
    // sees the values of that moment and reads from a stable snapshot.
    internal abstract class ContentGenerator
    {
        public abstract void Generate(TextBuilder output);
    }

    // A generated file with fixed content ("0\n" for /sys/devices/system/cpu/online, ...).
    internal sealed class ConstantText : ContentGenerator
    {
        private readonly string _text;
        public ConstantText(string text) { _text = text; }
        public override void Generate(TextBuilder output) => output.Append(_text);
    }
}
