using Probes.Models;
using Training.Model;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>A small float64 MLP on random data, with both point implementations and dense references.</summary>
internal sealed class TinyNetwork : IDisposable
{
    public Mlp Model { get; }
    public Tensor X { get; }
    public Tensor Y { get; }
    public int N { get; }

    public TinyNetwork(int n = 4, int inputs = 5, int[]? hidden = null, int outputs = 3, Activation activation = Activation.Tanh, long seed = 1)
    {
        N = n;
        Model = new Mlp(inputs, hidden ?? [6, 4], outputs, activation, seed, float64, CPU);
        var g = new Generator((ulong)seed + 100);
        X = randn([n, inputs], float64, generator: g);
        Y = randn([n, outputs], float64, generator: g);
    }

    public MlpPoint Fast() => new(Model, X, Y);

    public AutogradPoint Generic() => new(() => Model.forward(X), Model.parameters().ToList(), Y, N);

    /// <summary>Explicit D × P Jacobian from one VJP per output (rows Jᵀe_α).</summary>
    public static double[,] Jacobian(IDifferentiablePoint p)
    {
        var j = new double[p.OutputSize, p.ParameterSize];
        for (int a = 0; a < p.OutputSize; a++)
        {
            var row = p.JacobianTransposed(Basis(p.OutputSize, a)).data<double>().ToArray();
            for (int k = 0; k < row.Length; k++) j[a, k] = row[k];
        }
        return j;
    }

    /// <summary>Explicit P × P Hessian of u·f from one HVP per parameter (columns Q_u e_k).</summary>
    public static double[,] OutputHessian(IDifferentiablePoint p, Tensor u)
    {
        var h = new double[p.ParameterSize, p.ParameterSize];
        for (int k = 0; k < p.ParameterSize; k++)
        {
            var col = p.OutputHessian(u, Basis(p.ParameterSize, k)).data<double>().ToArray();
            for (int r = 0; r < col.Length; r++) h[r, k] = col[r];
        }
        return h;
    }

    public static Tensor Basis(long size, long index)
    {
        var e = zeros(size, float64);
        e[index] = 1.0;
        return e;
    }

    public void Dispose()
    {
        Model.Dispose();
        X.Dispose();
        Y.Dispose();
    }
}
