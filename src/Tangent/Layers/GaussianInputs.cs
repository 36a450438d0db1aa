namespace Tangent.Layers;

/// <summary>
/// An activation met an input that is not a Gaussian pre-activation (the raw input, the output of an
/// activation, pooled or summed with one), where its kernel rule does not apply and no exact rule
/// replaces it (docs/LAYERS.md, "Gaussian pre-activations"). The message names the layer (spec text and
/// 1-based position) and the fix, usually to insert a dense layer before it.
/// </summary>
public sealed class NonGaussianInputException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public NonGaussianInputException(string message) : base(message) { }

    internal static NonGaussianInputException ForState(Activation phi) => new(
        $"'{phi}' was given a kernel state that is not a Gaussian pre-activation (the raw input, an activation's output, a concatenation, " +
        $"or a sum with such a branch), so its kernel rule does not apply; insert a dense layer (e.g. dense(w=1)) before '{phi}', or go through " +
        "Architecture, which composes consecutive activations and moves an activation after concat into the branches.");
}

/// <summary>
/// The static analysis behind <see cref="Architecture"/>'s construction (docs/LAYERS.md, "Gaussian
/// pre-activations"). An activation's kernel rule integrates φ against a zero-mean Gaussian, so it is
/// exact only when its input is one. Walking the layer tree once: the raw input is not Gaussian
/// (deterministic); dense and conv outputs are; identity, flatten and pooling keep what they get
/// (pooling turns activation outputs into something no rule applies to); a sum is Gaussian iff every
/// branch is; a concatenation is Gaussian per channel group; an activation needs a Gaussian input and
/// gives a non-Gaussian output; sum pooling behaves as average pooling; layer_norm needs a Gaussian input
/// and gives one; dropout and a product of branches give non-Gaussian outputs. Where an activation meets a non-Gaussian input the tree is rewritten into
/// an equivalent execution tree when an exact rule exists: φ2 right after φ1 becomes the single
/// elementwise activation φ2∘φ1 (<see cref="ActivationComposition"/>); φ after concat{A | B} becomes
/// concat{A φ | B φ}; φ after flatten is applied before it, per pixel. Anything else is refused with a
/// <see cref="NonGaussianInputException"/> before any computation.
/// </summary>
internal static class GaussianInputs
{
    /// <summary>The execution tree of <paramref name="root"/>: <paramref name="root"/> itself when nothing
    /// needs rewriting (the common case), else an equivalent tree.</summary>
    /// <exception cref="NonGaussianInputException">An activation gets a non-Gaussian input with no exact rule.</exception>
    public static Layer Plan(Layer root)
    {
        var walk = new Walk(root);
        var seq = new Seq(Signal.Raw);
        walk.Compile(root, seq);
        return walk.Changed ? seq.ToLayer() : root;
    }

    private enum Kind
    {
        /// <summary>A zero-mean Gaussian pre-activation, the same law on every unit.</summary>
        Gaussian,
        /// <summary>The deterministic input.</summary>
        Raw,
        /// <summary>The output of an activation that was fed a Gaussian: a next activation composes with it.</summary>
        Activated,
        /// <summary>A concatenation: a next activation goes into each branch.</summary>
        Concat,
        /// <summary>Anything else that is not a Gaussian pre-activation (<see cref="Signal.Reason"/> says what).</summary>
        Other,
    }

    private sealed record Signal(Kind Kind, string Reason = "")
    {
        public static readonly Signal Gaussian = new(Kind.Gaussian), Raw = new(Kind.Raw), Activated = new(Kind.Activated), Concat = new(Kind.Concat);
    }

    /// <summary>One layer of the execution tree with the signal after it.</summary>
    private sealed class Item(Layer layer, Signal output, string description, bool transparent = false)
    {
        public Layer Layer = layer;
        public Signal Output = output;
        /// <summary>For messages: "'relu' (layer 2)", or the layers an activation was composed of.</summary>
        public string Description = description;
        /// <summary>Identity and flatten: an activation after them may as well come before them.</summary>
        public readonly bool Transparent = transparent;
        /// <summary>The compiled branches of a concat.</summary>
        public List<Seq>? Branches;
    }

    /// <summary>A serial run of execution layers fed <see cref="Input"/>.</summary>
    private sealed class Seq(Signal input)
    {
        public readonly Signal Input = input;
        public readonly List<Item> Items = [];
        public Signal Output => Items.Count == 0 ? Input : Items[^1].Output;
        public Layer ToLayer() => Items.Count == 1 ? Items[0].Layer : new Serial(Items.Select(i => i.Layer));
    }

    private sealed class Walk(Layer root)
    {
        private readonly string _spec = root.ToString();
        private readonly bool _images = ConvolutionalKernel.HasImageLayers(root);
        private int _position;      // 1-based position of the last leaf layer visited, in written order
        private bool _inImages;     // between a conv/avg_pool and the readout

        public bool Changed { get; private set; }

        public void Compile(Layer layer, Seq seq)
        {
            switch (layer)
            {
                case Serial s:
                    foreach (var l in s.Layers) Compile(l, seq);
                    break;
                case Repeat r:
                {
                    int start = _position;
                    for (int i = 0; i < r.Count; i++) { _position = start; Compile(r.Body, seq); }
                    break;
                }
                case ParallelBranches p:
                    Parallel(p, seq);
                    break;
                case Identity:
                    seq.Items.Add(new Item(layer, seq.Output, Leaf(layer), transparent: true));
                    break;
                case Activation phi:
                    Append(seq, phi, Leaf(phi));
                    break;
                case Dense or Conv:
                    _inImages = layer is Conv;
                    seq.Items.Add(new Item(layer, Signal.Gaussian, Leaf(layer)));
                    break;
                case Flatten:
                {
                    _inImages = false;
                    string at = Leaf(layer);
                    seq.Items.Add(new Item(layer, AfterFlatten(seq.Output, at), at, transparent: true));
                    break;
                }
                case WindowPool or GlobalAvgPool or GlobalSumPool:
                {
                    _inImages = layer is WindowPool;
                    string at = Leaf(layer);
                    var input = seq.Output;
                    var output = input.Kind is Kind.Gaussian or Kind.Raw ? input
                        : new Signal(Kind.Other, $"it is {at} of {Noun(input)}");
                    seq.Items.Add(new Item(layer, output, at));
                    break;
                }
                case Dropout:
                {
                    string at = Leaf(layer);
                    seq.Items.Add(new Item(layer, new Signal(Kind.Other, $"it is {at}, a random mask times its input"), at));
                    break;
                }
                case LayerNorm:
                {
                    // Its rule divides by the per-input RMS, ignoring the mean it subtracts: exact for zero-mean Gaussian inputs only.
                    string at = Leaf(layer);
                    var input = seq.Output;
                    if (input.Kind != Kind.Gaussian)
                        throw new NonGaussianInputException(
                            $"Architecture '{_spec}': {at} gets an input that is not a Gaussian pre-activation ({(input.Kind == Kind.Raw ? "the raw input" : Noun(input))}); its rule (divide by the per-input RMS) " +
                            $"ignores the mean layer_norm subtracts and holds for zero-mean Gaussian inputs only; {Fix(at)}.");
                    seq.Items.Add(new Item(layer, Signal.Gaussian, at));
                    break;
                }
                case ProductFanIn product:
                {
                    var input = seq.Output;
                    var branches = new List<Seq>();
                    foreach (var b in product.Branches)
                    {
                        var s = new Seq(input);
                        Compile(b, s);
                        branches.Add(s);
                    }
                    seq.Items.Add(new Item(new ProductFanIn(branches.Select(b => b.ToLayer())),
                        new Signal(Kind.Other, $"it is the product '{product}', and a product of Gaussians is not Gaussian"), $"'{product}'"));
                    break;
                }
                default:
                {
                    string at = Leaf(layer);
                    seq.Items.Add(new Item(layer, new Signal(Kind.Other, $"it comes from {at}, which is not known to keep inputs Gaussian"), at));
                    break;
                }
            }
        }

        /// <summary>"'relu' (layer 3)" for the next leaf.</summary>
        private string Leaf(Layer layer) => $"'{layer}' (layer {++_position})";

        /// <summary>Flatten lays pixels with different variances side by side: a Gaussian image is no longer
        /// one Gaussian law per unit (an activation right after is moved before it instead).</summary>
        private static Signal AfterFlatten(Signal input, string at) => input.Kind == Kind.Gaussian
            ? new Signal(Kind.Other, $"it is {at} of pixels with different variances")
            : input;

        private void Parallel(ParallelBranches p, Seq seq)
        {
            var input = seq.Output;
            var branches = new List<Seq>();
            foreach (var b in p.Branches)
            {
                var s = new Seq(input);
                Compile(b, s);
                branches.Add(s);
            }
            var exec = new ParallelBranches(p.FanIn, branches.Select(b => b.ToLayer()));
            if (p.FanIn == FanIn.Concat)
            {
                seq.Items.Add(new Item(exec, Signal.Concat, $"'{p}'") { Branches = branches });
                return;
            }
            Signal output;
            if (branches.All(b => b.Output.Kind == Kind.Gaussian)) output = Signal.Gaussian;
            else if (branches.All(b => b.Output.Kind == Kind.Raw)) output = Signal.Raw;
            else
            {
                int k = branches.FindIndex(b => b.Output.Kind != Kind.Gaussian);
                output = new Signal(Kind.Other, $"it is the sum '{p}', whose branch {k + 1} '{p.Branches[k]}' {Describe(branches[k].Output)}");
            }
            seq.Items.Add(new Item(exec, output, $"'{p}'"));
        }

        /// <summary>What a non-Gaussian branch is, as a predicate.</summary>
        private static string Describe(Signal s) => s.Kind switch
        {
            Kind.Raw => "carries the raw input (deterministic)",
            Kind.Activated => "ends with an activation",
            Kind.Concat => "is a concatenation (channel groups of different variances)",
            _ => $"is not Gaussian ({s.Reason})",
        };

        /// <summary>What a non-Gaussian signal is, as a noun.</summary>
        private static string Noun(Signal s) => s.Kind switch
        {
            Kind.Activated => "the output of an activation",
            Kind.Concat => "a concatenation (channel groups of different variances)",
            _ => $"a signal that is not Gaussian ({s.Reason})",
        };

        /// <summary>Appends activation φ to <paramref name="seq"/>: directly on a Gaussian input, composed with
        /// the activation before it, distributed into a concat's branches, or refused.</summary>
        private void Append(Seq seq, Activation phi, string at)
        {
            var moved = new Stack<Item>();   // identity/flatten after which φ is moved (φ commutes with them)
            while (seq.Items.Count > 0 && seq.Items[^1].Transparent)
            {
                moved.Push(seq.Items[^1]);
                seq.Items.RemoveAt(seq.Items.Count - 1);
            }
            var input = seq.Output;
            if (input.Kind is Kind.Activated or Kind.Concat && seq.Items.Count == 0)   // the activation/concat is outside this branch
                throw new NonGaussianInputException(
                    $"Architecture '{_spec}': {at} starts a branch fed {(input.Kind == Kind.Concat ? "a concatenation" : "the output of an activation")}, " +
                    $"which is not a Gaussian pre-activation, so its kernel rule does not apply; {Fix(at)}.");
            switch (input.Kind)
            {
                case Kind.Gaussian:
                    seq.Items.Add(new Item(phi, Signal.Activated, at));
                    if (moved.Any(m => m.Layer is Flatten)) Changed = true;
                    break;
                case Kind.Raw:
                    throw new NonGaussianInputException(
                        $"Architecture '{_spec}': {at} is applied to the raw input, which is not a Gaussian pre-activation, so its kernel rule does not apply; " +
                        (_images ? $"start with a conv layer, e.g. 'conv(size=1,w=1) {_spec}'." : $"start with a dense layer, e.g. 'dense(w=1) {_spec}'."));
                case Kind.Activated:
                {
                    var last = seq.Items[^1];
                    var before = (Activation)last.Layer;
                    string location = $"Architecture '{_spec}', {last.Description} then {at}";
                    var composed = ActivationComposition.Compose(phi, before, location, Fix(at), out string? refusal)
                        ?? throw new NonGaussianInputException($"{location}: {at} gets the output of an activation, not a Gaussian pre-activation, and {refusal}; {Fix(at)}.");
                    last.Layer = composed;
                    last.Description = $"{last.Description} then {at}";
                    Changed = true;
                    break;
                }
                case Kind.Concat:
                {
                    var last = seq.Items[^1];
                    foreach (var b in last.Branches!) Append(b, phi, at);
                    last.Layer = new ParallelBranches(FanIn.Concat, last.Branches.Select(b => b.ToLayer()));
                    Changed = true;
                    break;
                }
                default:
                    throw new NonGaussianInputException(
                        $"Architecture '{_spec}': {at} gets an input that is not a Gaussian pre-activation ({input.Reason}), so its kernel rule does not apply; {Fix(at)}.");
            }
            while (moved.Count > 0)
            {
                var m = moved.Pop();
                m.Output = m.Layer is Flatten ? AfterFlatten(seq.Output, m.Description) : seq.Output;
                seq.Items.Add(m);
            }
        }

        private string Fix(string at) => _inImages
            ? $"insert a conv layer (e.g. conv(size=1,w=1)) before {at}"
            : $"insert a dense layer (e.g. dense(w=1)) before {at}";
    }
}
