package model

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend, "go"
	. "github.com/gomlx/gomlx/core/graph"  //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	gm "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/ml/train/optimizer/cosineschedule"
)

// DefaultBackend is the pure-Go backend in the configuration that does not
// deadlock on few cores (measured: its parallel scheduler can).
const DefaultBackend = "go:ops_sequential"

// BackendSpec picks the backend: the flag, else $GOMLX_BACKEND, else the pure-Go one.
func BackendSpec(flag string) string {
	if flag != "" {
		return flag
	}
	if v := os.Getenv(compute.ConfigEnvVar); v != "" {
		return v
	}
	return DefaultBackend
}

// Trainer trains one model: AdamW (decoupled weight decay), linear warm-up
// then cosine decay to MinLR, gradient clipping by global norm, optional
// gradient accumulation. Its state (weights, AdamW moments, global step)
// lives in a GoMLX store saved by checkpoints.
type Trainer struct {
	Cfg     Config
	Backend compute.Backend
	store   *gm.Store
	tr      *train.Trainer
	ckpt    *checkpoint.Handler
	evalFn  *gm.Exec
	nllFn   *gm.Exec // per-target loss, compiled on first use
	stats   *gm.Scope
}

// NewTrainer builds the model on a backend; with ckptDir holding a
// checkpoint, the weights, optimizer state and step are restored from it.
func NewTrainer(cfg Config, backendSpec, ckptDir string) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	backend, err := compute.NewWithConfig(backendSpec)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", backendSpec, err)
	}
	store := gm.NewStore()
	root := store.RootScope()
	root.SetParam(optimizer.ParamLearningRate, cfg.LR)
	root.SetParam(cosineschedule.ParamWarmUpSteps, cfg.Warmup)
	root.SetParam(cosineschedule.ParamPeriodSteps, max(cfg.Steps, 1))
	root.SetParam(cosineschedule.ParamMinLearningRate, cfg.MinLR)
	if err := store.SetRNGStateFromSeed(cfg.Seed); err != nil {
		return nil, err
	}
	t := &Trainer{Cfg: cfg, Backend: backend, store: store, stats: root.In("stats")}
	var opt optimizer.Interface = optimizer.Adam().Betas(cfg.Beta1, cfg.Beta2).WeightDecay(cfg.WeightDecay).
		DType(dtypes.Float32).LearningRate(cfg.LR).Done()
	opt = &clipByGlobalNorm{inner: opt, maxNorm: cfg.Clip, stats: t.stats}
	modelFn := func(scope *gm.Scope, _ any, inputs []*Node) []*Node {
		tokens := inputs[0]
		cosineschedule.New(scope, tokens.Graph(), dtypes.Float32).FromScope().Done()
		return []*Node{cfg.SegmentLogits(scope.In("gpt"), tokens, segmentsOf(inputs, 1))}
	}
	t.tr = train.NewTrainer(backend, store, modelFn, MaskedLoss, opt, nil, nil)
	if cfg.GradAccum > 1 {
		if err := t.tr.AccumulateGradients(cfg.GradAccum); err != nil {
			return nil, err
		}
	}
	if ckptDir != "" {
		if t.ckpt, err = checkpoint.Build(store).Dir(ckptDir).Keep(max(cfg.Keep, 1)).Done(); err != nil {
			return nil, fmt.Errorf("checkpoints in %s: %w", ckptDir, err)
		}
	}
	// Evaluation: summed loss and target count, so that bits per byte add up over batches.
	t.evalFn, err = gm.NewExec(backend, store, func(scope *gm.Scope, inputs []*Node) []*Node {
		logits := cfg.SegmentLogits(scope.In("gpt"), inputs[0], segmentsOf(inputs, 3))
		sum, count := maskedLossSum(inputs[1], inputs[2], logits)
		return []*Node{sum, count}
	})
	if err != nil {
		return nil, err
	}
	t.nllFn, err = gm.NewExec(backend, store, func(scope *gm.Scope, inputs []*Node) []*Node {
		return []*Node{maskedNLL(inputs[1], inputs[2], cfg.SegmentLogits(scope.In("gpt"), inputs[0], segmentsOf(inputs, 3)))}
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// segmentsOf is inputs[i], the segment ids of a packed batch, or nil.
func segmentsOf(inputs []*Node, i int) *Node {
	if len(inputs) > i {
		return inputs[i]
	}
	return nil
}

// tensors are the inputs, targets and mask of b, and its segment ids as a
// one-element slice (none when b is not packed: the graph then compiles
// without the segment mask).
func (t *Trainer) tensors(b *Batch) (in, tg, mask *tensors.Tensor, seg []*tensors.Tensor) {
	if b.Segments != nil {
		seg = []*tensors.Tensor{tensors.FromFlatDataAndDimensions(b.Segments, b.B, b.C)}
	}
	return tensors.FromFlatDataAndDimensions(b.Inputs, b.B, b.C),
		tensors.FromFlatDataAndDimensions(b.Targets, b.B, b.C),
		tensors.FromFlatDataAndDimensions(b.Mask, b.B, b.C), seg
}

// StepStats are what one training step reports.
type StepStats struct {
	Loss     float64
	LR       float64
	GradNorm float64
}

// Step runs one training step (one micro-batch with gradient accumulation).
func (t *Trainer) Step(b *Batch) (StepStats, error) {
	in, tg, mask, seg := t.tensors(b)
	metrics, err := t.tr.TrainStep(train.Batch{Inputs: append([]*tensors.Tensor{in}, seg...), Labels: []*tensors.Tensor{tg, mask}})
	if err != nil {
		return StepStats{}, err
	}
	st := StepStats{Loss: scalar(metrics[0])}
	if v := t.store.GetVariable("/" + optimizer.Scope + "/" + optimizer.ParamLearningRate); v != nil {
		st.LR = scalarVar(v)
	}
	if v := t.stats.GetVariable("grad_norm"); v != nil {
		st.GradNorm = scalarVar(v)
	}
	for _, m := range metrics {
		m.FinalizeAll()
	}
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
		return st, fmt.Errorf("step %d: loss is %v", t.GlobalStep(), st.Loss)
	}
	return st, nil
}

// EvalSum returns the summed loss (nats) over the batch's unmasked targets and their count.
func (t *Trainer) EvalSum(b *Batch) (sum, count float64, err error) {
	in, tg, mask, seg := t.tensors(b)
	out, err := t.evalFn.Exec(append([]any{in, tg, mask}, anys(seg)...)...)
	if err != nil {
		return 0, 0, err
	}
	defer out[0].FinalizeAll()
	defer out[1].FinalizeAll()
	return scalar(out[0]), scalar(out[1]), nil
}

// EvalTargets returns the loss (nats) of every target of the batch, B*C
// row-major, 0 where the mask is 0.
func (t *Trainer) EvalTargets(b *Batch) ([]float32, error) {
	in, tg, mask, seg := t.tensors(b)
	out, err := t.nllFn.Exec(append([]any{in, tg, mask}, anys(seg)...)...)
	if err != nil {
		return nil, err
	}
	defer out[0].FinalizeAll()
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// GlobalStep is the number of optimizer steps taken (restored by checkpoints).
func (t *Trainer) GlobalStep() int64 { return optimizer.GetGlobalStep(t.store) }

// Save writes a checkpoint (weights, AdamW state, step); the last Keep are kept.
func (t *Trainer) Save() error {
	if t.ckpt == nil {
		return errors.New("no checkpoint directory")
	}
	return t.ckpt.Save()
}

// NumParameters counts the model's weights in the store (AdamW moments and
// counters excluded), to check against Config.Params.
func (t *Trainer) NumParameters() int64 {
	var n int64
	for v := range t.store.RootScope().In("gpt").IterVariables() {
		if strings.Contains(v.Scope(), optimizer.AdamDefaultScope) {
			continue
		}
		n += int64(v.Shape().Size())
	}
	return n
}

// Close releases the backend.
func (t *Trainer) Close() { t.Backend.Finalize() }

func anys(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

func scalar(x *tensors.Tensor) float64 {
	switch v := x.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	case int64:
		return float64(v)
	case int32:
		return float64(v)
	}
	return math.NaN()
}

func scalarVar(v *gm.Variable) float64 {
	t, err := v.Value()
	if err != nil {
		return math.NaN()
	}
	return scalar(t)
}

// clipByGlobalNorm scales all gradients by min(1, maxNorm/‖g‖) before the
// inner optimizer, and records ‖g‖ in the stats scope.
type clipByGlobalNorm struct {
	inner   optimizer.Interface
	maxNorm float64
	stats   *gm.Scope
}

func (c *clipByGlobalNorm) UpdateGraph(scope *gm.Scope, g *Graph, loss *Node) {
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	c.UpdateGraphWithGradients(scope, grads, loss.DType())
}

func (c *clipByGlobalNorm) UpdateGraphWithGradients(scope *gm.Scope, grads []*Node, lossDType dtypes.DType) {
	var sumSq *Node
	for _, gr := range grads {
		s := ReduceAllSum(Square(ConvertDType(gr, dtypes.Float32)))
		if sumSq == nil {
			sumSq = s
		} else {
			sumSq = Add(sumSq, s)
		}
	}
	norm := Sqrt(sumSq)
	c.stats.VariableWithValue("grad_norm", float32(0)).SetTrainable(false).SetValueGraph(norm)
	if c.maxNorm > 0 {
		scale := Min(OnesLike(norm), Div(Scalar(norm.Graph(), dtypes.Float32, c.maxNorm), AddScalar(norm, 1e-6)))
		for i, gr := range grads {
			grads[i] = Mul(gr, ConvertDType(scale, gr.DType()))
		}
	}
	c.inner.(train.OptimizeWithGradients).UpdateGraphWithGradients(scope, grads, lossDType)
}

func (c *clipByGlobalNorm) Clear(scope *gm.Scope) error { return c.inner.Clear(scope) }
