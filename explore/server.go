// Package explore serves `tct explore`: one page, embedded in the binary,
// that shows a workflow the way the tokenizer and the model see it, and the
// JSON API behind it.
package explore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/tct-dev/tct/jobs"
)

//go:embed assets
var assets embed.FS

// Config is what `tct explore` serves.
type Config struct {
	Addr       string // listen address, host:port (port 0: any free port)
	Tokenizer  string // tokenizer file ("": the embedded one)
	Checkpoint string // training run directory ("": no model)
}

// Server answers the page and the API.
type Server struct {
	an    *analyzer
	model *scorer // nil without a checkpoint
}

// New loads the tokenizer and, with cfg.Checkpoint, the model.
func New(cfg Config) (*Server, error) {
	tok, err := jobs.LoadTokenizer(cfg.Tokenizer)
	if err != nil {
		return nil, err
	}
	an, err := newAnalyzer(tok)
	if err != nil {
		return nil, err
	}
	s := &Server{an: an}
	if cfg.Checkpoint != "" {
		if s.model, err = loadScorer(cfg.Checkpoint, tok); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close releases the model.
func (s *Server) Close() {
	if s.model != nil {
		s.model.close()
	}
}

// Serve listens on cfg.Addr, says where on log, and serves until ctx ends.
func Serve(ctx context.Context, cfg Config, log io.Writer) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "tct explore: serving on http://%s/\n", ln.Addr())
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut) //nolint:errcheck // the server is going away either way
	})
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler routes the page (GET /) and the API (POST /api/...).
func (s *Server) Handler() http.Handler {
	static, _ := fs.Sub(assets, "assets") // the embedded folder always exists
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("POST /api/tokenize", s.tokenize)
	mux.HandleFunc("POST /api/loss", s.loss)
	mux.HandleFunc("POST /api/allowed", s.allowed)
	return mux
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	rep := map[string]any{"tokenizer": s.an.tok.Fingerprint, "content_vocab": s.an.tok.Layout.Content, "model": s.model != nil}
	if s.model != nil {
		rep["context"] = s.model.tr.Cfg.Context
		rep["model_name"] = s.model.tr.Cfg.Name
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	d, ok := s.read(w, r)
	if !ok {
		return
	}
	res, err := s.an.result(d)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) loss(w http.ResponseWriter, r *http.Request) {
	if s.model == nil {
		writeError(w, http.StatusBadRequest, errors.New("no model: start tct explore with --checkpoint RUN_DIR"))
		return
	}
	d, ok := s.read(w, r)
	if !ok {
		return
	}
	res, err := s.an.result(d)
	if err == nil {
		err = s.addBits(res, d)
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// addBits fills the model's loss of every token and their sum.
func (s *Server) addBits(res *Result, d *doc) error {
	bits, err := s.model.bits(d.ids)
	if err != nil {
		return err
	}
	sum := 0.0
	for i := range res.Tokens {
		res.Tokens[i].Bits = &bits[i]
		sum += bits[i]
	}
	res.Bits = &sum
	return nil
}

func (s *Server) allowed(w http.ResponseWriter, r *http.Request) {
	pos, err := strconv.Atoi(r.URL.Query().Get("pos"))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("pos: %w", err))
		return
	}
	d, ok := s.read(w, r)
	if !ok {
		return
	}
	res, err := s.allowedAt(d, pos)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// read reads the workflow of the request body and converts it; bad input
// is answered with 400 and the reason convert would give.
func (s *Server) read(w http.ResponseWriter, r *http.Request) (*doc, bool) {
	src, err := io.ReadAll(io.LimitReader(r.Body, s.an.maxSize+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("reading the request: %w", err))
		return nil, false
	}
	size := max(int64(len(src)), r.ContentLength) // the whole body's, when it is too large to read
	d, err := s.an.parse(r.Context(), src, size)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.As(err, new(*BadInput)) {
			status = http.StatusBadRequest
		}
		writeError(w, status, err)
		return nil, false
	}
	return d, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// writeError answers {"error": ..., "reason": ...} (reason: convert's, for bad input).
func writeError(w http.ResponseWriter, status int, err error) {
	rep := map[string]string{"error": err.Error()}
	var bad *BadInput
	if errors.As(err, &bad) {
		rep["reason"] = bad.Reject.Reason
	}
	writeJSON(w, status, rep)
}
