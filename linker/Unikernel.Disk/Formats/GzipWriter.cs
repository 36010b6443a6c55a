using System.Buffers.Binary;
using System.IO.Compression;

namespace Unikernel.Disk.Formats;

/// <summary>
/// One gzip member (RFC 1952) with a header of our own: no time stamp, no name, operating system "unknown", so the
/// bytes do not depend on the clock or the platform. The body is deflate at a fixed level.
/// </summary>
internal sealed class GzipWriter : Stream
{
    private const int CompressionLevel = 6;
    private readonly Stream _output;
    private readonly DeflateStream _deflate;
    private uint _crc;
    private long _length;
    private bool _finished;

    public GzipWriter(Stream output)
    {
        _output = output;
        // ID1 ID2, CM = deflate, FLG = 0, MTIME = 0 (none), XFL = 0, OS = 255 (unknown).
        _output.Write([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]);
        _deflate = new DeflateStream(output, new ZLibCompressionOptions { CompressionLevel = CompressionLevel }, leaveOpen: true);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _crc = Crc32.Update(_crc, buffer);
        _length += buffer.Length;
        _deflate.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Ends the deflate stream and writes the trailer (CRC-32 and length modulo 2^32).</summary>
    public void Finish()
    {
        if (_finished)
            return;
        _finished = true;
        _deflate.Dispose();
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], (uint)_length);
        _output.Write(trailer);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Finish();
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => _deflate.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
