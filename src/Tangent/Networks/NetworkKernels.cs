using Tangent.Layers;
using Tangent.Numerics;

namespace Tangent.Networks;

public sealed partial class Network
{
    /// <summary>
    /// The empirical NTK Θ̂(X1, X2) = J_o(X1)·J_o(X2)ᵀ of output <paramref name="output"/> over all
    /// parameters (docs/MATH.md §3), contracted layer by layer without forming the Jacobian: one forward
    /// pass over the stacked inputs, then one backward pass from δ = ∂f_o/∂f (a one-hot column) in which
    /// every layer adds its parameters' share to the NTK (<see cref="Backprop"/>); a dense layer
    /// z = s·W·h + sb·b adds (s²·h(x)·h(x') + sb²)·(δ(x)·δ(x')), two symmetric rank-k updates.
    /// With a separate X2 the Gram matrix of the n1 + n2 stacked inputs is formed and its off-diagonal block returned.
    /// </summary>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for x1.</param>
    /// <param name="output">Which output f_o.</param>
    public Matrix Ntk(Matrix x1, Matrix? x2 = null, int output = 0)
    {
        CheckInputs(x1, nameof(x1));
        if (x2 is not null) CheckInputs(x2, nameof(x2));
        ArgumentOutOfRangeException.ThrowIfNegative(output);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(output, Outputs);
        var x = x2 is null ? x1 : Stack(x1, x2);
        int n1 = x1.Rows;
        var full = new Matrix(x.Rows, x.Rows);
        using (FiniteScope.Enter(x))
        {
            _root.Forward(x);
            var delta = new Matrix(x.Rows, Outputs);
            for (int a = 0; a < x.Rows; a++) delta[a, output] = OutputScale;   // ∂f_o/∂g_o = α, so Θ̂ = α²·Θ̂_g
            _root.Backward(delta, new Backprop(ntk: full));
        }
        if (x2 is null) return full;
        int n2 = x2.Rows;
        var ntk = new Matrix(n1, n2);
        for (int i = 0; i < n1; i++) full.Row(i).Slice(n1, n2).CopyTo(ntk.Row(i));
        return ntk;
    }

    /// <summary>
    /// The empirical NNGP f(X1)·f(X2)ᵀ/k, averaged over the k outputs: each output of a randomly initialised
    /// network is one draw of the Gaussian process, so this is an unbiased estimate of the NNGP kernel
    /// (of the last layer, docs/MATH.md §3) from k draws.
    /// </summary>
    public Matrix Nngp(Matrix x1, Matrix? x2 = null)
    {
        var f1 = Predict(x1);
        var g = x2 is null ? LinearAlgebra.Gram(f1) : LinearAlgebra.Multiply(f1, Predict(x2), Op.None, Op.Transpose);
        Scale(g, 1.0 / Outputs);
        return g;
    }

    /// <summary>
    /// The Jacobian ∂f(x_a)_o/∂θ as an (n·k)×P matrix (row a·k + o; columns in the layout of
    /// <see cref="GetParameters"/>), one backward pass per sample and output. Materialised: meant for
    /// small problems (the linearized network, tests against the contracted <see cref="Ntk"/>).
    /// </summary>
    public Matrix Jacobian(Matrix x)
    {
        CheckInputs(x, nameof(x));
        int n = x.Rows, k = Outputs;
        var jac = new Matrix(n * k, ParameterCount);
        var into = new Backprop(parameters: _parameters);
        for (int a = 0; a < n; a++)
        {
            var xa = x.SliceRows(a, 1);
            using var scope = FiniteScope.Enter(xa);
            _root.Forward(xa);
            for (int o = 0; o < k; o++)
            {
                var delta = new Matrix(1, k);
                delta[0, o] = OutputScale;
                into.ClearGradients();
                _root.Backward(delta, into);
                var row = jac.Row(a * k + o);
                int off = 0;
                foreach (var m in _parameters) { into.Gradient(m)!.Data.CopyTo(row[off..]); off += m.Data.Length; }
            }
        }
        return jac;
    }

    internal static Matrix Stack(Matrix a, Matrix b)
    {
        if (a.Cols != b.Cols) throw new ArgumentException($"X1 is {a.Shape} and X2 is {b.Shape}: both must have the same number of columns.");
        var m = new Matrix(a.Rows + b.Rows, a.Cols);
        a.Data.CopyTo(m.Data, 0);
        b.Data.CopyTo(m.Data, a.Data.Length);
        return m;
    }
}
