package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func newPlotCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "plot RUN_DIR",
		Short: "Write RUN_DIR/loss.png: training and validation loss against tokens seen",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(filepath.Join(args[0], "log.jsonl"))
			if err != nil {
				return err
			}
			out := filepath.Join(args[0], "loss.png")
			if err := writeLossPlot(out, readLog(b)); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "wrote", out)
			return nil
		},
	}
}

// writeLossPlot draws training loss (blue line) and validation loss (red
// dots) against tokens seen, with labelled axes.
func writeLossPlot(path string, log []logLine) error {
	const w, h, left, bottom, top, right = 900, 540, 70, 50, 30, 20
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	var maxX float64
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, l := range log {
		maxX = math.Max(maxX, float64(l.Tokens))
		for _, y := range []float64{l.Loss, l.ValLoss} {
			if y > 0 {
				minY, maxY = math.Min(minY, y), math.Max(maxY, y)
			}
		}
	}
	if maxX == 0 || math.IsInf(minY, 0) {
		return fmt.Errorf("nothing to plot")
	}
	if maxY-minY < 1e-9 {
		maxY = minY + 1
	}
	px := func(x float64) int { return left + int(x/maxX*float64(w-left-right)) }
	py := func(y float64) int { return h - bottom - int((y-minY)/(maxY-minY)*float64(h-bottom-top)) }
	black, grey := color.RGBA{0, 0, 0, 255}, color.RGBA{220, 220, 220, 255}
	for i := 0; i <= 4; i++ { // grid and tick labels
		y := minY + (maxY-minY)*float64(i)/4
		line(img, left, py(y), w-right, py(y), grey)
		text(img, 5, py(y)+4, fmt.Sprintf("%.3f", y), black)
		x := maxX * float64(i) / 4
		line(img, px(x), top, px(x), h-bottom, grey)
		text(img, px(x)-20, h-bottom+18, humanCount(x), black)
	}
	line(img, left, h-bottom, w-right, h-bottom, black)
	line(img, left, top, left, h-bottom, black)
	text(img, w/2-60, h-10, "tokens seen (targets)", black)
	text(img, left+10, top-10, "loss (nats/token): train (blue), validation (red)", black)
	blue, red := color.RGBA{30, 90, 200, 255}, color.RGBA{210, 40, 40, 255}
	prevX, prevY := -1, -1
	for _, l := range log {
		if l.Loss <= 0 {
			continue
		}
		x, y := px(float64(l.Tokens)), py(l.Loss)
		if prevX >= 0 {
			line(img, prevX, prevY, x, y, blue)
		}
		prevX, prevY = x, y
	}
	for _, l := range log {
		if l.ValLoss > 0 {
			x, y := px(float64(l.Tokens)), py(l.ValLoss)
			for dx := -3; dx <= 3; dx++ {
				for dy := -3; dy <= 3; dy++ {
					if dx*dx+dy*dy <= 9 {
						img.Set(x+dx, y+dy, red)
					}
				}
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func humanCount(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.1fG", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func text(img *image.RGBA, x, y int, s string, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// line draws with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		img.Set(x0, y0, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * err; e2 >= dy {
			err += dy
			x0 += sx
		} else {
			err += dx
			y0 += sy
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// copyLatestCheckpoint copies the newest GoMLX checkpoint (its .json and
// .bin) from src into dst, replacing what dst held.
func copyLatestCheckpoint(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "checkpoint-") && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, strings.TrimSuffix(e.Name(), ".json"))
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no checkpoint in %s", src)
	}
	sort.Strings(names) // names carry a counter: the last is the newest
	latest := names[len(names)-1]
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, ext := range []string{".json", ".bin"} {
		b, err := os.ReadFile(filepath.Join(src, latest+ext))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, latest+ext), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
