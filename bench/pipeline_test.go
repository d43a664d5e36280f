package bench

import (
	"context"

	"github.com/tct-dev/tct/pipeline"
)

func newPipeline() *pipeline.Pipeline { return pipeline.New(context.Background()) }
