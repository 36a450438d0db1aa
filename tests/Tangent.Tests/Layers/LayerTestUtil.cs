using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Tests.Layers;

internal static class LayerTestUtil
{
    /// <summary>The five 3-dimensional inputs of the Monte-Carlo tests: random, with a second input of a different norm.</summary>
    public static Matrix MonteCarloInputs()
    {
        var x = RandomInputs(5, 3, 11);
        x.Row(1).Clear(); x[1, 0] = 1.2; x[1, 2] = -0.4;   // a second input of a different norm
        return x;
    }

    /// <summary>J(x)·J(x)ᵀ with J(x) = ∂f(x)[0]/∂θ by central differences (h = 1e-6) over every parameter entry:
    /// the reference the backpropagated empirical NTK is held against.</summary>
    public static Matrix FiniteDifferenceJacobianGram(FiniteLayer net, Matrix x)
    {
        var parameters = net.Parameters.ToList();
        var jac = new Matrix(x.Rows, parameters.Sum(p => p.Data.Length));
        int col = 0;
        const double h = 1e-6;
        foreach (var p in parameters)
            for (int k = 0; k < p.Data.Length; k++, col++)
            {
                double keep = p.Data[k];
                p.Data[k] = keep + h; var fp = net.Forward(x);
                p.Data[k] = keep - h; var fm = net.Forward(x);
                p.Data[k] = keep;
                for (int i = 0; i < x.Rows; i++) jac[i, col] = (fp[i, 0] - fm[i, 0]) / (2 * h);
            }
        return LinearAlgebra.Multiply(jac, jac, Op.None, Op.Transpose);
    }

    public static Matrix RandomInputs(int n, int d, int seed)
    {
        var rng = new Random(seed);
        return Matrix.Build(n, d, (_, _) => Tangent.Layers.Dense.Gaussian(rng));
    }

    /// <summary>
    /// The kernels by the rules as they were before activations checked their input (Tangent issue 9):
    /// every activation integrated as if its input were a Gaussian pre-activation, a concat averaged
    /// before the activation that follows. For showing that the bias those rules had is visible.
    /// </summary>
    public static (Matrix Nngp, Matrix Ntk) NaiveKernels(string spec, Matrix x)
    {
        var root = Architecture.ParseLayer(spec);
        var n = new Matrix(x.Rows, x.Rows); var t = new Matrix(x.Rows, x.Rows);
        for (int i = 0; i < x.Rows; i++)
            for (int j = 0; j < x.Rows; j++)
            {
                var s = Naive(root, KernelState.FromInputs(x.Row(i), x.Row(j)));
                (n[i, j], t[i, j]) = (s.Nngp, s.Ntk);
            }
        return (n, t);
    }

    private static KernelState Naive(Layer layer, KernelState s)
    {
        switch (layer)
        {
            case Serial serial:
                foreach (var l in serial.Layers) s = Naive(l, s);
                return s;
            case ParallelBranches p:
            {
                double n = 0, t = 0, c1 = 0, c2 = 0;
                foreach (var b in p.Branches) { var r = Naive(b, s); n += r.Nngp; t += r.Ntk; c1 += r.Cov1; c2 += r.Cov2; }
                double k = p.FanIn == FanIn.Sum ? 1 : 1.0 / p.Branches.Count;
                return s with { Nngp = k * n, Ntk = k * t, Cov1 = k * c1, Cov2 = k * c2 };
            }
            default:
                return layer.Apply(s with { IsGaussian = true });
        }
    }

    public static double RelativeFrobenius(Matrix actual, Matrix expected)
    {
        double num = 0, den = 0;
        for (int k = 0; k < expected.Data.Length; k++)
        {
            double e = actual.Data[k] - expected.Data[k];
            num += e * e;
            den += expected.Data[k] * expected.Data[k];
        }
        return Math.Sqrt(num / den);
    }
}
