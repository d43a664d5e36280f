// Package eval scores a trained model: validation loss and bits per byte
// over a stream of batches, and the validity and field distributions of its
// samples (our schema, SchemaStore's, the corpus).
package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/tct-dev/tct/model"
)

// Loss runs a deterministic pass over val (at most maxBatches batches; 0:
// until io.EOF) and returns the mean loss per target (nats) and bits per
// byte: the summed loss in bits over the bytes the scored targets stand for.
func Loss(ctx context.Context, tr *model.Trainer, val model.Batches, maxBatches int) (loss, bpb float64, err error) {
	var sum, count, bytes float64
	for i := 0; maxBatches <= 0 || i < maxBatches; i++ {
		b, err := val.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		// A short last batch is padded: another shape would recompile the graph.
		s, n, err := tr.EvalSum(b.Padded(tr.Cfg.Batch))
		if err != nil {
			return 0, 0, err
		}
		sum, count, bytes = sum+s, count+n, bytes+b.TargetBytes
	}
	if count == 0 || bytes == 0 {
		return 0, 0, fmt.Errorf("no validation batch of %d windows", tr.Cfg.Batch)
	}
	return sum / count, sum / math.Ln2 / bytes, nil
}
