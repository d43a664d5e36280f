package sample

import (
	"fmt"
	"io"

	"github.com/tct-dev/tct/internal/canon"
)

// Write prints the complete samples to w as "yaml" (each under a comment
// line, separated by ---) or "json" (one per line), the incomplete ones
// and a summary line to log.
func (r *Report) Write(w, log io.Writer, format string) error {
	if format != "yaml" && format != "json" {
		return fmt.Errorf("--format %q: want yaml or json", format)
	}
	for i, s := range r.Samples {
		switch {
		case s.Complete && format == "json":
			fmt.Fprintf(w, "%s\n", s.JSON)
		case s.Complete:
			fmt.Fprintf(w, "# sample %d (%d tokens)\n", i+1, s.Tokens)
			if err := canon.WriteDoc(w, s.JSON, "yaml"); err != nil {
				return err
			}
			fmt.Fprintln(w, "---")
		default:
			fmt.Fprintf(log, "sample %d incomplete (%s) after %d tokens: %.200s\n", i+1, s.StopCause, s.Tokens, s.Partial)
		}
	}
	_, err := fmt.Fprintf(log, "%d of %d samples complete (%d closed by the grammar); %.1f ms/token, %.0f%% of it the mask adds\n",
		r.Complete, len(r.Samples), r.ForcedClose, r.MsPerToken, 100*r.MaskShare)
	return err
}
