using static TorchSharp.torch;

namespace GiantSharp.Parallel;

/// <summary>
/// The ZeRO partition of a list of parameters over N ranks (Rajbhandari et al. 2020, sec. 5.1): every parameter of n
/// elements is cut into N pieces of s = ceil(n / N) elements (the last ones shorter or empty), rank r owning elements
/// [r s, min(n, (r+1) s)) of its flattened form. Cutting every tensor (not the list) keeps the partition valid across a
/// delinking, which copies state tensor by tensor, and lets AdamW state stay keyed by parameter name. A rank's pieces
/// travel as one buffer of S = sum of s, so a reduce-scatter or all-gather is one collective.
/// </summary>
public sealed class ZeroShards
{
    private readonly long[] _numel;
    private readonly long[] _piece;
    private readonly long[] _offset;

    /// <summary>Partitions tensors of the given element counts over <paramref name="worldSize"/> ranks, for <paramref name="rank"/>.</summary>
    public ZeroShards(IReadOnlyList<long> numel, int rank, int worldSize)
    {
        Rank = rank;
        WorldSize = worldSize;
        _numel = numel.ToArray();
        _piece = _numel.Select(n => (n + worldSize - 1) / worldSize).ToArray();
        _offset = new long[_piece.Length];
        for (int i = 1; i < _piece.Length; i++) _offset[i] = _offset[i - 1] + _piece[i - 1];
        PieceTotal = _piece.Sum();
    }

    /// <summary>This rank.</summary>
    public int Rank { get; }
    /// <summary>N.</summary>
    public int WorldSize { get; }
    /// <summary>S: elements of one rank's buffer (pieces padded to s).</summary>
    public long PieceTotal { get; }

    /// <summary>This rank's range of tensor <paramref name="i"/>'s flattened elements: (start, length), length possibly 0.</summary>
    public (long Start, long Length) Range(int i)
    {
        long start = Math.Min(_numel[i], Rank * _piece[i]);
        return (start, Math.Min(_numel[i], start + _piece[i]) - start);
    }

    /// <summary>
    /// The (N * S) send buffer of a reduce-scatter: block q holds rank q's piece of every tensor, in order, each padded
    /// with zeros to s. <paramref name="tensors"/> flattened; the dtype is <paramref name="dtype"/>.
    /// </summary>
    public Tensor Interleave(IReadOnlyList<Tensor> tensors, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var columns = new List<Tensor>();
        for (int i = 0; i < tensors.Count; i++)
        {
            var padded = zeros(WorldSize * _piece[i], dtype: dtype, device: tensors[i].device);
            padded.narrow(0, 0, _numel[i]).copy_(tensors[i].reshape(-1));
            columns.Add(padded.view(WorldSize, _piece[i]));
        }
        return cat(columns, 1).reshape(-1).MoveToOuterDisposeScope();                // (N, S) -> (N*S)
    }

    /// <summary>This rank's pieces of <paramref name="tensors"/> (full tensors), padded and concatenated: (S).</summary>
    public Tensor Pack(IReadOnlyList<Tensor> tensors, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var buffer = zeros(PieceTotal, dtype: dtype, device: tensors.Count > 0 ? tensors[0].device : CPU);
        long at = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            var (start, length) = Range(i);
            if (length > 0) buffer.narrow(0, at, length).copy_(tensors[i].reshape(-1).narrow(0, start, length));
            at += _piece[i];
        }
        return buffer.MoveToOuterDisposeScope();
    }

    /// <summary>This rank's pieces themselves (each of its true length, <see cref="Range"/>), padded and concatenated: (S).</summary>
    public Tensor PackPieces(IReadOnlyList<Tensor> pieces, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var buffer = zeros(PieceTotal, dtype: dtype);
        for (int i = 0; i < pieces.Count; i++)
            if (Range(i).Length > 0) buffer.narrow(0, _offset[i], Range(i).Length).copy_(pieces[i].reshape(-1));
        return buffer.MoveToOuterDisposeScope();
    }

    /// <summary>Tensor <paramref name="i"/> of an all-gathered (N * S) buffer into the full tensor <paramref name="target"/> (in place).</summary>
    public void UnpackOne(Tensor gathered, int i, Tensor target)
    {
        using var scope = NewDisposeScope();
        var full = gathered.view(WorldSize, PieceTotal).narrow(1, _offset[i], _piece[i]).reshape(-1).narrow(0, 0, _numel[i]);
        target.detach().view(-1).copy_(full);
    }

    /// <summary>Piece <paramref name="i"/> of this rank's (S) buffer <paramref name="buffer"/> (a view, its true length).</summary>
    public Tensor PieceOf(Tensor buffer, int i)
        => buffer.narrow(0, _offset[i], Range(i).Length);

    /// <summary>Writes an all-gathered (N * S) buffer back into the full tensors <paramref name="targets"/> (in place).</summary>
    public void Unpack(Tensor gathered, IReadOnlyList<Tensor> targets)
    {
        using var scope = NewDisposeScope();
        var rows = gathered.view(WorldSize, PieceTotal);
        long at = 0;
        for (int i = 0; i < targets.Count; i++)
        {
            var full = rows.narrow(1, at, _piece[i]).reshape(-1).narrow(0, 0, _numel[i]);
            targets[i].detach().view(-1).copy_(full);
            at += _piece[i];
        }
    }
}
