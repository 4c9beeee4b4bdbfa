package web

import (
	"strconv"

	"github.com/arkeep/arkeep/projections"
)

// chart is one currency's ageing as an inline SVG bar chart, laid out on the server.
// Bar heights are floats read from the report's amount strings; the labels are the
// strings themselves.
type chart struct {
	Currency         string
	Width, Height    int
	Baseline         float64
	Bars             []bar
	Total, Unapplied string
}

type bar struct {
	Name, Amount string
	X, Y, W, H   float64
	CX, LabelY   float64
	NameY        float64
	Fill         string
	Share        string // percentage of the total, for the bar's tooltip
}

const (
	chartWidth  = 560
	chartHeight = 240
	chartTop    = 26 // room for the amount above the tallest bar
	chartBottom = 34 // room for the bucket names
	chartSide   = 8
)

// fills go from "current" (calm) to the oldest bucket (alarming).
var fills = []string{"#4c8c6b", "#8fb35a", "#d6b43c", "#e08a35", "#d2582f", "#a12a2a"}

func fillFor(i, n int) string {
	if n <= 1 {
		return fills[0]
	}
	return fills[i*(len(fills)-1)/(n-1)]
}

func ageingChart(currency string, names []string, t projections.AgeingTotals) chart {
	c := chart{Currency: currency, Width: chartWidth, Height: chartHeight, Total: t.Total, Unapplied: t.UnappliedCredit}
	vals := make([]float64, len(t.Buckets.Values))
	maxV := 0.0
	for i, s := range t.Buckets.Values {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 {
			v = 0
		}
		vals[i] = v
		maxV = max(maxV, v)
	}
	n := len(names)
	plotH := float64(chartHeight - chartTop - chartBottom)
	c.Baseline = float64(chartHeight - chartBottom)
	slot := float64(chartWidth-2*chartSide) / float64(max(n, 1))
	total, _ := strconv.ParseFloat(t.Total, 64)
	for i, name := range names {
		h := 0.0
		if maxV > 0 {
			h = vals[i] / maxV * plotH
		}
		if vals[i] > 0 && h < 1 {
			h = 1 // a non-zero amount stays visible
		}
		w := slot * 0.62
		x := chartSide + slot*float64(i) + (slot-w)/2
		b := bar{Name: name, Amount: t.Buckets.Values[i], X: x, W: w, H: h, Y: c.Baseline - h,
			CX: x + w/2, LabelY: c.Baseline - h - 6, NameY: c.Baseline + 18, Fill: fillFor(i, n)}
		if total > 0 {
			b.Share = strconv.FormatFloat(vals[i]/total*100, 'f', 1, 64) + "%"
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}
