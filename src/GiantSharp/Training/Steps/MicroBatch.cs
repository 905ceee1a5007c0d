using static TorchSharp.torch;

namespace GiantSharp.Training.Steps;

/// <summary>One micro-batch: input ids X (B, T) and target ids Y (B, T), int64, Y[t] = X[t+1].</summary>
public readonly record struct MicroBatch(Tensor X, Tensor Y);
