package jobs

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tct-dev/tct/internal/canon"
	"github.com/tct-dev/tct/shards"
	"github.com/tct-dev/tct/stages"
	"github.com/tct-dev/tct/tokenizer"
)

// WriteText prints the report as `tct convert` does.
func (r *ConvertReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "read %d records (%.1f MB) in %.2fs (%.1f MB/s, %.0f docs/s)\n", r.Read, float64(r.BytesRead)/1e6, r.Seconds, r.MBPerSec, r.DocsPerS)
	fmt.Fprintf(w, "  written    %d -> %s\n", r.Written, r.Out)
	fmt.Fprintf(w, "  duplicates %d\n", r.Duplicates)
	if r.Rejects == "" {
		fmt.Fprintf(w, "  rejected   %d (counted, not kept: --rejects FILE keeps them)\n", r.Rejected)
	} else {
		fmt.Fprintf(w, "  rejected   %d -> %s\n", r.Rejected, r.Rejects)
	}
	for _, k := range r.ReasonsSorted() {
		fmt.Fprintf(w, "    %-18s %d\n", k, r.RejectedByReason[k])
	}
}

// WriteManifestSummary prints the accounting and the splits of a shard set.
func WriteManifestSummary(w io.Writer, m *shards.Manifest, dir string) {
	fmt.Fprintf(w, "read %d records: written %d, rejected %d, duplicates %d\n", m.Read, m.Written, m.Rejected, m.Duplicates)
	for _, split := range []string{stages.SplitTrain, stages.SplitVal} {
		if c := m.Splits[split]; c != nil {
			fmt.Fprintf(w, "  %-5s %6d documents %8d windows %10d tokens  fill %.3f\n", split, c.Documents, c.Windows, c.Tokens, c.Fill())
		}
	}
	fmt.Fprintf(w, "%d shards, %.1f MB in %s (manifest.json written last)\n", len(m.Shards), float64(ShardBytes(m))/1e6, dir)
	if !m.Complete {
		fmt.Fprintf(w, "INCOMPLETE: %d input errors, the manifest says complete: false; readers refuse it without --allow-incomplete\n", len(m.InputErrors))
	}
}

// WriteManifest prints the summary, the config and every shard of a manifest.
func WriteManifest(w io.Writer, m *shards.Manifest, dir string) {
	WriteManifestSummary(w, m, dir)
	// One brace pair for the config's two parts, as the manifest has one object.
	shard, source := fmt.Sprintf("%+v", m.Config.Config), fmt.Sprintf("%+v", m.Config.Source)
	fmt.Fprintf(w, "tokenizer %s, layout %+v\nconfig %s %s\n", m.Tokenizer, m.Layout, strings.TrimSuffix(shard, "}"), strings.TrimPrefix(source, "{"))
	for _, s := range m.Shards {
		fmt.Fprintf(w, "  %-22s %-5s %7d rows %10d bytes sha256 %.16s…\n", s.Name, s.Split, s.Rows, s.Bytes, s.SHA256)
	}
}

// WriteText prints the report as `tct tokenize` does.
func (rep *TokenizeReport) WriteText(w io.Writer, verify bool) {
	fmt.Fprintf(w, "%d documents, %d bytes JSON (%d YAML), %d tokens (%.2f bytes/token)\n", rep.Documents, rep.BytesJSON, rep.BytesYAML, rep.Tokens, rep.BytesPerTok)
	if verify {
		fmt.Fprintf(w, "round trip failures: %d\n", rep.RoundtripFailures)
	}
	if rep.O200kTokensJSON > 0 {
		fmt.Fprintf(w, "o200k_base: %d tokens as JSON (%.1f%% more than ours), %d as YAML; ours are %.1f%% / %.1f%% fewer\n",
			rep.O200kTokensJSON, 100*(float64(rep.O200kTokensJSON)/float64(rep.Tokens)-1), rep.O200kTokensYAML, 100*rep.VsO200kJSON, 100*rep.VsO200kYAML)
	}
	s := rep.Schema
	fmt.Fprintf(w, "schema coverage: %d values, %d fallback (%.2f%%); keys %d known, %d spelled out, %d off-schema\n",
		s.Values, s.Fallback, 100*float64(s.Fallback)/float64(max(s.Values, 1)), s.KnownKeys, s.OtherKeys, s.OffSchema)
}

// ParseIDs reads content ids separated by spaces, commas or line breaks
// (brackets are ignored, so a JSON list works too).
func ParseIDs(text string) ([]int32, error) {
	var ids []int32
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(", \n\t\r[]", r) }) {
		v, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("not an id: %q", f)
		}
		ids = append(ids, int32(v))
	}
	return ids, nil
}

// Decode prints the document the ids spell as "json" or "yaml" to w; surplus
// ids are reported to log, a truncated sequence is an error with the partial JSON.
func Decode(tok *tokenizer.Tokenizer, text, format string, w, log io.Writer) error {
	ids, err := ParseIDs(text)
	if err != nil {
		return err
	}
	doc, consumed, err := tok.Decode(ids)
	if err != nil {
		partial, _ := tok.DecodePrefix(ids)
		return fmt.Errorf("%w\npartial: %s", err, partial)
	}
	if consumed < len(ids) {
		fmt.Fprintf(log, "tct: %d surplus ids after the document\n", len(ids)-consumed)
	}
	return canon.WriteDoc(w, doc, format)
}
