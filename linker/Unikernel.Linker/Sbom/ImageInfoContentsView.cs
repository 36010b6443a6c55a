namespace Unikernel.Linker.Sbom;

/// <summary>What the SBOM takes from uk_image_info: the app's name and version, the image hash, and the inputs'
/// hashes (hex).</summary>
public sealed record ImageInfoContentsView(string Name, string Version, byte[] ImageSha256,
    IReadOnlyList<ImageInfoContentsView.File> Linked, ImageInfoContentsView.File? App)
{
    public sealed record File(string Name, string Sha256);

    public static ImageInfoContentsView Of(Synthetic.ImageInfo.Contents contents) => new(contents.Name, contents.Version,
        contents.ImageSha256,
        contents.Inputs.Where(input => input.Kind == Synthetic.ImageInfo.InputKindLinked)
            .Select(input => new File(input.Name, Convert.ToHexStringLower(input.Sha256))).ToList(),
        contents.Inputs.Where(input => input.Kind == Synthetic.ImageInfo.InputKindApp)
            .Select(input => new File(input.Name, Convert.ToHexStringLower(input.Sha256))).FirstOrDefault());
}
