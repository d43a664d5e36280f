package model

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best with dot-import
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/layers/attention/pos"
	gm "github.com/gomlx/gomlx/ml/model"
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
	g := tokens.Graph()
	b, t := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1]
	d, h := c.DModel, c.Heads
	dh := d / h
	dt := c.dtype()
	x := layers.Embedding(scope.In("wte"), tokens, dt, c.Vocab, d)
	positions := Iota(g, shapes.Make(dtypes.Int32, t), 0) // [T]: the same positions for every window
	rope := pos.NewRoPE(10000)
	for l := range c.Layers {
		s := scope.In("layer%d", l)
		a := rmsNorm(x)
		q := layers.Dense(s.In("q"), a, false, h, dh) // [B, T, H, Dh]
		k := layers.Dense(s.In("k"), a, false, h, dh)
		v := layers.Dense(s.In("v"), a, false, h, dh)
		q, k = rope.EncodeQK(q, k, positions, 1)
		q, k = rmsNorm(q), rmsNorm(k) // QK-norm
		att, _ := attention.Core(q, k, v, attention.LayoutBSHD, attention.CoreOptions{UseCausalMask: true})
		x = Add(x, layers.Dense(s.In("o"), Reshape(att, b, t, d), false, d))
		m := layers.Dense(s.In("fc"), rmsNorm(x), false, c.MLPMult*d)
		m = Square(Max(m, ZerosLike(m))) // ReLU²
		x = Add(x, layers.Dense(s.In("proj"), m, false, d))
	}
	logits := layers.Dense(scope.In("head"), rmsNorm(x), false, c.Vocab)
	return ConvertDType(logits, dtypes.Float32)
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
	logp := LogSoftmax(logits, -1)
	onehot := OneHot(targets, logits.Shape().Dimensions[2], dtypes.Float32)
	nll := Neg(ReduceSum(Mul(onehot, logp), -1)) // [B, T]
	return ReduceAllSum(Mul(nll, mask)), ReduceAllSum(mask)
}
