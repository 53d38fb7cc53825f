package testserver

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// Limits on the generated images of /img/. A request over them gets a 400
// that names the limit, so no request makes the server allocate more than
// about one byte per allowed pixel.
const (
	// MaxImageSide caps the width and the height of a generated image.
	MaxImageSide = 4096
	// MaxImagePixels caps width×height of a generated image (4 Mpx).
	MaxImagePixels = 4 << 20
	// DefaultImageSide is the width and height of /img/{seed}.png.
	DefaultImageSide = 64
)

// pattern is a procedural paletted image: every pixel is computed from its
// coordinates and the seed, so encoding it needs no pixel buffer. The PNG
// encoder reads it through image.PalettedImage, row by row.
type pattern struct {
	w, h    int
	cell    int // side of a checker cell, in pixels
	shift   uint8
	palette color.Palette
}

func newPattern(w, h int, seed uint64) *pattern {
	s := seed
	p := &pattern{w: w, h: h, palette: make(color.Palette, 16)}
	for i := range p.palette {
		v := splitmix(&s)
		p.palette[i] = color.NRGBA{R: uint8(v), G: uint8(v >> 8), B: uint8(v >> 16), A: 0xff}
	}
	v := splitmix(&s)
	p.cell = 4 + int(v%13)
	p.shift = uint8(v >> 8)
	return p
}

func (p *pattern) ColorModel() color.Model { return p.palette }
func (p *pattern) Bounds() image.Rectangle { return image.Rect(0, 0, p.w, p.h) }
func (p *pattern) At(x, y int) color.Color { return p.palette[p.ColorIndexAt(x, y)] }

// ColorIndexAt draws an XOR checkerboard crossed by diagonal stripes.
func (p *pattern) ColorIndexAt(x, y int) uint8 {
	cx, cy := x/p.cell, y/p.cell
	stripe := ((x + y) / (2 * p.cell)) & 1
	return (uint8(cx^cy) + p.shift + uint8(stripe)*5) & 15
}

// splitmix advances the SplitMix64 generator at *s and returns its output.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// checkImageSize reports whether a w×h image may be generated.
func checkImageSize(w, h int) error {
	if w < 1 || h < 1 || w > MaxImageSide || h > MaxImageSide {
		return fmt.Errorf("image size %dx%d: width and height must be 1 to %d", w, h, MaxImageSide)
	}
	if w*h > MaxImagePixels {
		return fmt.Errorf("image size %dx%d: %d pixels over the limit of %d", w, h, w*h, MaxImagePixels)
	}
	return nil
}

// pngBytes encodes the w×h image drawn from seed. Identical arguments give
// identical bytes.
func pngBytes(w, h int, seed uint64) ([]byte, error) {
	if err := checkImageSize(w, h); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, newPattern(w, h, seed)); err != nil {
		return nil, fmt.Errorf("encode %dx%d png: %w", w, h, err)
	}
	return buf.Bytes(), nil
}
