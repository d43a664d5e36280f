package model

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best with dot-import
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/layers/attention/pos"
	gm "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/nn"
)

func (c Config) dtype() dtypes.DType {
	if c.DType == "bfloat16" {
		return dtypes.BFloat16
	}
	return dtypes.Float32
}

// rmsNorm normalises the last axis to unit root mean square, without
// weights (nanochat's choice: one less thing to learn).
func rmsNorm(x *Node) *Node {
	x32 := ConvertDType(x, dtypes.Float32)
	ms := ReduceAndKeep(Square(x32), ReduceMean, -1)
	return ConvertDType(Div(x32, Sqrt(AddScalar(ms, 1e-6))), x.DType()) // (Rsqrt has no gradient in GoMLX)
}

// Logits is the model: tokens [B, T] int32 → logits [B, T, vocab] float32.
// Token embedding, then per layer pre-norm causal self-attention with RoPE
// and QK-norm, and a pre-norm ReLU² MLP, both residual; a final norm and an
// untied output head. No biases anywhere.
func (c Config) Logits(scope *gm.Scope, tokens *Node) *Node {
	return c.SegmentLogits(scope, tokens, nil)
}

// SegmentLogits is Logits over packed windows: segments [B, T] int32 is
// the segment of every token, and a token attends only to the tokens of
// its own segment up to itself. nil: one segment per window.
func (c Config) SegmentLogits(scope *gm.Scope, tokens, segments *Node) *Node {
	g := tokens.Graph()
	t := tokens.Shape().Dimensions[1]
	positions := Iota(g, shapes.Make(dtypes.Int32, t), 0) // [T]: the same positions for every window
	x := embed(scope, tokens, c)                          // [B, T, d]
	opt := attention.CoreOptions{UseCausalMask: true}
	if segments != nil {
		opt = attention.CoreOptions{AttentionMask: segmentMask(segments)}
	}
	for l := range c.Layers {
		s := scope.In("layer%d", l)
		q, k, v := c.qkv(s, x, positions)
		att, _ := attention.Core(q, k, v, attention.LayoutBSHD, opt)
		x = c.afterAttention(s, x, att)
	}
	return c.head(scope, x)
}

// segmentMask is the attention mask [B, T, 1, T] (query, head, key) of
// segments [B, T]: causal and within a segment. RoPE makes the scores
// depend on the distance of query and key only, so a segment is computed
// as it would be alone at the start of a window.
func segmentMask(segments *Node) *Node {
	b, t := segments.Shape().Dimensions[0], segments.Shape().Dimensions[1]
	causal := BroadcastToDims(Reshape(LowerTriangular(segments.Graph(), t), 1, t, t), b, t, t)
	same := Equal(BroadcastToDims(Reshape(segments, b, t, 1), b, t, t), BroadcastToDims(Reshape(segments, b, 1, t), b, t, t))
	return Reshape(LogicalAnd(causal, same), b, t, 1, t)
}

// embed looks tokens [B, T] up in the embedding table: [B, T, d]. (The
// index axis is added explicitly: layers.Embedding would read a last axis of
// size 1, T = 1 included, as the index axis.)
func embed(scope *gm.Scope, tokens *Node, c Config) *Node {
	table := scope.In("wte").VariableWithShape("embeddings", shapes.Make(dtypes.Float32, c.Vocab, c.DModel))
	x := Gather(table.NodeValue(tokens.Graph()), InsertAxes(tokens, -1))
	return ConvertDType(x, c.dtype())
}

// linear is a dense layer without bias whose weights are kept in float32
// (the master copy AdamW updates) and cast to the input's dtype for the
// matmul: bf16 compute with float32 weights. The variable has the name and
// shape layers.Dense would give it, [in, prod(out)].
func linear(s *gm.Scope, x *Node, out ...int) *Node {
	in := x.Shape().Dimensions[x.Rank()-1]
	n := 1
	for _, d := range out {
		n *= d
	}
	w := s.In("dense").VariableWithShape("weights", shapes.Make(dtypes.Float32, in, n)).NodeValue(x.Graph())
	y := nn.Dense(x, ConvertDType(w, x.DType()), nil, compute.DenseLayoutInputOutputs)
	if len(out) > 1 {
		dims := append(append([]int{}, x.Shape().Dimensions[:x.Rank()-1]...), out...)
		y = Reshape(y, dims...)
	}
	return y
}

// qkv projects the normalised residual stream into queries, keys and values
// [B, T, H, Dh], with RoPE at the given positions and QK-norm.
func (c Config) qkv(s *gm.Scope, x, positions *Node) (q, k, v *Node) {
	h, dh := c.Heads, c.DModel/c.Heads
	a := rmsNorm(x)
	q = linear(s.In("q"), a, h, dh)
	k = linear(s.In("k"), a, h, dh)
	v = linear(s.In("v"), a, h, dh)
	q, k = pos.NewRoPE(10000).EncodeQK(q, k, positions, 1)
	return rmsNorm(q), rmsNorm(k), v
}

// afterAttention adds the attention output and the MLP to the residual stream.
func (c Config) afterAttention(s *gm.Scope, x, att *Node) *Node {
	b, t := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	x = Add(x, linear(s.In("o"), Reshape(att, b, t, c.DModel), c.DModel))
	m := linear(s.In("fc"), rmsNorm(x), c.MLPMult*c.DModel)
	m = Square(Max(m, ZerosLike(m))) // ReLU²
	return Add(x, linear(s.In("proj"), m, c.DModel))
}

func (c Config) head(scope *gm.Scope, x *Node) *Node {
	return ConvertDType(linear(scope.In("head"), rmsNorm(x), c.Vocab), dtypes.Float32)
}

// Step is one incremental decoding step with a KV cache: the tokens [B] at
// position p (a scalar) attend to the cached keys and values of positions
// < p and to themselves. caches holds per layer the keys and the values
// [B, Context, H, Dh]; Step returns the logits [B, vocab] and the caches
// with position p written.
func (c Config) Step(scope *gm.Scope, tokens, p *Node, caches []*Node) (*Node, []*Node) {
	g := tokens.Graph()
	b := tokens.Shape().Dimensions[0]
	h, dh := c.Heads, c.DModel/c.Heads
	x := embed(scope, Reshape(tokens, b, 1), c) // [B, 1, d]
	positions := Reshape(p, 1)
	keyPos := Iota(g, shapes.Make(dtypes.Int32, c.Context), 0)
	// The row of the cache to write: a select, since the pure-Go backend has
	// no DynamicUpdateSlice (XLA fuses this the same way).
	here := BroadcastToDims(Reshape(Equal(keyPos, positions), 1, c.Context, 1, 1), b, c.Context, h, dh)
	visible := LessThan(keyPos, AddScalar(positions, 1)) // keys 0..p
	mask := BroadcastToDims(Reshape(visible, 1, 1, 1, c.Context), b, h, 1, c.Context)
	out := make([]*Node, len(caches))
	for l := range c.Layers {
		s := scope.In("layer%d", l)
		q, k, v := c.qkv(s, x, positions) // [B, 1, H, Dh]
		kc := Where(here, BroadcastToDims(ConvertDType(k, caches[2*l].DType()), b, c.Context, h, dh), caches[2*l])
		vc := Where(here, BroadcastToDims(ConvertDType(v, caches[2*l+1].DType()), b, c.Context, h, dh), caches[2*l+1])
		out[2*l], out[2*l+1] = kc, vc
		kk, vv := ConvertDType(kc, q.DType()), ConvertDType(vc, q.DType())
		scores := MulScalar(Einsum("bqhd,bkhd->bhqk", q, kk), 1/math.Sqrt(float64(dh)))
		scores = Where(mask, scores, AddScalar(ZerosLike(scores), -1e9))
		att := Einsum("bhqk,bkhd->bqhd", Softmax(scores, -1), vv)
		x = c.afterAttention(s, x, att)
	}
	return Reshape(c.head(scope, x), b, c.Vocab), out
}

// MaskedLoss is the mean cross-entropy over the unmasked targets.
// labels[0] = targets [B, T] int32, labels[1] = mask [B, T] float32.
func MaskedLoss(labels, predictions []*Node) *Node {
	sum, count := maskedLossSum(labels[0], labels[1], predictions[0])
	return Div(sum, Max(count, OnesLike(count)))
}

// maskedLossSum gives the summed cross-entropy (nats) over unmasked targets
// and their number.
func maskedLossSum(targets, mask, logits *Node) (sum, count *Node) {
	return ReduceAllSum(maskedNLL(targets, mask, logits)), ReduceAllSum(mask)
}

// maskedNLL is the cross-entropy (nats) of every target [B, T], 0 where masked.
func maskedNLL(targets, mask, logits *Node) *Node {
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(targets, logits.Shape().Dimensions[2], dtypes.Float32)
	return Mul(Neg(ReduceSum(Mul(onehot, logp), -1)), mask)
}
