using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace GiantSharp.Parallel;

/// <summary>
/// All-to-all of equal blocks as an autograd function: input (N, ...) contiguous, block q goes to rank q; output
/// (N, ...), block r came from rank r. Its gradient is the same exchange of the output's gradient (the permutation of
/// blocks is its own inverse). Use <see cref="Exchange"/>.
/// </summary>
internal sealed class AllToAllFunction : SingleTensorFunction<AllToAllFunction>
{
    private const string CommKey = "comm";

    /// <inheritdoc />
    public override string Name => "GiantSharpAllToAll";

    /// <summary>Block q of <paramref name="x"/> (N, ...) to rank q; returns the blocks received, rank order (N, ...).</summary>
    public static Tensor Exchange(Tensor x, Communicator comm) => apply(x, comm);

    /// <inheritdoc />
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var comm = (Communicator)vars[1];
        ctx.save_data(CommKey, comm);
        return Swap((Tensor)vars[0], comm);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output) =>
        [Swap(grad_output, (Communicator)ctx.get_data(CommKey)), null!];

    private static Tensor Swap(Tensor x, Communicator comm)
    {
        var send = x.contiguous();
        var recv = empty_like(send);
        long block = send.NumberOfElements / comm.Size;
        var counts = Enumerable.Repeat(block, comm.Size).ToArray();
        var displs = Enumerable.Range(0, comm.Size).Select(r => r * block).ToArray();
        comm.AllToAllV(send.view(-1), counts, displs, recv.view(-1), counts, displs);
        return recv;
    }
}
