package benchreport

import (
	"fmt"
	"html"
	"math"
	"strings"
)

const (
	plotW, plotH                       = 940, 420
	marginL, marginR, marginT, marginB = 80, 360, 40, 60
)

// gasPlot draws the measured deliver gas per message against N (both axes log scale), the
// destination's whole cost per message where submitBatch was measured too (deliver plus the
// batch proof's submission shared by the N messages), and the reference systems as dashed
// horizontal lines.
func (r *Report) gasPlot() (string, bool) {
	type point struct{ n, gas float64 }
	var deliver, total []point
	batch, _, withBatch := r.submitBatchGas()
	for _, n := range []int{1, 16, 256, 1024} {
		if v, ok := r.find(fmt.Sprintf("BenchmarkGasDeliver/N=%d", n), "gas/msg"); ok {
			deliver = append(deliver, point{float64(n), v})
			if withBatch {
				total = append(total, point{float64(n), v + batch/float64(n)})
			}
		}
	}
	if len(deliver) < 2 {
		return "", false
	}
	minY, maxY := math.Inf(1), 0.0
	for _, p := range append(deliver, total...) {
		minY, maxY = math.Min(minY, p.gas), math.Max(maxY, p.gas)
	}
	for _, ref := range References {
		lo := ref.Gas
		if ref.PerBatch {
			lo = ref.Gas / 1024
		}
		minY, maxY = math.Min(minY, lo), math.Max(maxY, ref.Gas)
	}
	lo, hi := math.Floor(math.Log10(minY)), math.Ceil(math.Log10(maxY))
	w, h := float64(plotW-marginL-marginR), float64(plotH-marginT-marginB)
	x := func(n float64) float64 { return marginL + w*math.Log2(n)/10 }
	y := func(g float64) float64 { return marginT + h*(1-(math.Log10(g)-lo)/(hi-lo)) }

	var b strings.Builder
	header(&b, "Destination gas per message against batch size N (measured), with published references")
	axes(&b, marginR)
	for _, n := range []float64{1, 4, 16, 64, 256, 1024} {
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">%g</text>`+"\n", x(n), plotH-marginB+18, n)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">messages per deliver (N, log scale)</text>`+"\n", marginL+w/2, plotH-15)
	for e := lo; e <= hi; e++ {
		for _, m := range []float64{1, 2, 5} {
			if g := m * math.Pow(10, e); e < hi || m == 1 {
				fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">%s</text>`+"\n", marginL-6, y(g)+4, format(g))
			}
		}
	}
	fmt.Fprintf(&b, `<text x="18" y="%.0f" transform="rotate(-90 18 %.0f)" text-anchor="middle">gas per message (log scale)</text>`+"\n", marginT+h/2, marginT+h/2)
	colors := []string{"#888", "#b06", "#06b"}
	for i, ref := range References {
		end := ref.Gas // at N = 1024
		if ref.PerBatch {
			end = ref.Gas / 1024
		}
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="%s" stroke-dasharray="6 4"/>`+"\n", x(1), y(ref.Gas), x(1024), y(end), colors[i%len(colors)])
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" fill="%s">%s (%s)</text>`+"\n", marginL+w+6, y(end)+4, colors[i%len(colors)], html.EscapeString(ref.Label), format(ref.Gas))
	}
	line := func(pts []point, color, label string, labelY, dy float64) {
		var path []string
		for _, p := range pts {
			path = append(path, fmt.Sprintf("%.1f,%.1f", x(p.n), y(p.gas)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, strings.Join(path, " "))
		for _, p := range pts {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/><text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n", x(p.n), y(p.gas), color, x(p.n)+6, y(p.gas)+dy, color, format(math.Round(p.gas)))
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s">%s</text>`+"\n", marginL+w+6, labelY, color, html.EscapeString(label))
	}
	line(deliver, "#d60", "Isthmus deliver (measured)", marginT+10, 16)
	if withBatch {
		line(total, "#080", "Isthmus deliver + submitBatch/N (measured)", marginT+26, -8)
	}
	b.WriteString("</svg>\n")
	return b.String(), true
}

// stagePlot draws the seconds of each proving stage of the pipeline benchmark as bars.
func (r *Report) stagePlot() (string, bool) {
	type bar struct {
		name string
		s    float64
	}
	var bars []bar
	for _, res := range r.Results {
		if name, ok := strings.CutPrefix(res.Name, "BenchmarkPipeline/stage="); ok {
			bars = append(bars, bar{strings.ReplaceAll(name, "-", " "), res.Metrics["s"]})
		}
	}
	if len(bars) == 0 {
		return "", false
	}
	maxS := 0.0
	for _, br := range bars {
		maxS = math.Max(maxS, br.s)
	}
	maxS *= 1.15
	const right = 40 // no labels on the right
	w, h := float64(plotW-marginL-right), float64(plotH-marginT-marginB)
	var b strings.Builder
	header(&b, "Seconds per proving stage of one batch (measured)")
	axes(&b, right)
	slot := w / float64(len(bars))
	for i, br := range bars {
		bh := h * br.s / maxS
		x0 := marginL + slot*float64(i) + slot*0.15
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#06b"/>`+"\n", x0, marginT+h-bh, slot*0.7, bh)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.1f s</text>`+"\n", x0+slot*0.35, marginT+h-bh-6, br.s)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x0+slot*0.35, plotH-marginB+18, html.EscapeString(br.name))
	}
	fmt.Fprintf(&b, `<text x="18" y="%.0f" transform="rotate(-90 18 %.0f)" text-anchor="middle">seconds</text>`+"\n", marginT+h/2, marginT+h/2)
	b.WriteString("</svg>\n")
	return b.String(), true
}

func header(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", plotW, plotH)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="22" font-size="14">%s</text>`+"\n", marginL, html.EscapeString(title))
}

// axes draws the axes of a plot whose right margin (for labels) is right.
func axes(b *strings.Builder, right int) {
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", marginL, marginT, marginL, plotH-marginB)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", marginL, plotH-marginB, plotW-right, plotH-marginB)
}
