package train

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PlotLoss draws training loss (a blue line) and validation loss (red dots)
// against tokens seen into a PNG at path.
func PlotLoss(path string, log []Line) error {
	var train, val plotter.XYs
	for _, l := range log {
		if l.Loss > 0 {
			train = append(train, plotter.XY{X: float64(l.Tokens), Y: l.Loss})
		}
		if l.ValLoss > 0 {
			val = append(val, plotter.XY{X: float64(l.Tokens), Y: l.ValLoss})
		}
	}
	if len(train)+len(val) == 0 {
		return fmt.Errorf("%s: nothing to plot (no loss in the log)", path)
	}
	p := plot.New()
	p.Title.Text = "loss (nats/token)"
	p.X.Label.Text = "tokens seen (targets)"
	p.Y.Label.Text = "loss"
	p.X.Tick.Marker = humanTicks{}
	p.Add(plotter.NewGrid())
	if len(train) > 0 {
		l, err := plotter.NewLine(train)
		if err != nil {
			return err
		}
		l.Color = color.RGBA{30, 90, 200, 255}
		p.Add(l)
		p.Legend.Add("train", l)
	}
	if len(val) > 0 {
		s, err := plotter.NewScatter(val)
		if err != nil {
			return err
		}
		s.Color, s.Shape, s.Radius = color.RGBA{210, 40, 40, 255}, draw.CircleGlyph{}, vg.Points(3)
		p.Add(s)
		p.Legend.Add("validation", s)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Max *= 1.03 // room for the last validation dot
	return p.Save(9*vg.Inch, 5.4*vg.Inch, path)
}

// humanTicks labels token counts as 12k, 3.4M, 1.2G.
type humanTicks struct{}

func (humanTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = humanCount(ticks[i].Value)
		}
	}
	return ticks
}

func humanCount(x float64) string {
	switch a := math.Abs(x); {
	case a >= 1e9:
		return fmt.Sprintf("%.1fG", x/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}
