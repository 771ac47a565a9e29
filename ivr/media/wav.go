package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// MaxWAVSize bounds what ReadWAV reads: an hour of 16-bit 8 kHz audio.
const MaxWAVSize = 64 << 20

// WAV format tags (RFC 2361 appendix A).
const (
	wavPCM        = 0x0001
	wavALaw       = 0x0006
	wavMuLaw      = 0x0007
	wavExtensible = 0xFFFE
)

// LoadWAV reads an 8 kHz mono WAV file holding G.711 µ-law, A-law or
// 16-bit PCM. Errors name the path.
func LoadWAV(path string) (*Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wav %s: %w", path, err)
	}
	defer f.Close()
	return ReadWAV(f, path)
}

// ReadWAV is LoadWAV over a reader; name is used for the clip and errors.
func ReadWAV(r io.Reader, name string) (*Clip, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxWAVSize+1))
	if err != nil {
		return nil, fmt.Errorf("wav %s: %w", name, err)
	}
	if len(data) > MaxWAVSize {
		return nil, fmt.Errorf("wav %s: larger than %d bytes: %w", name, MaxWAVSize, ErrBadWAV)
	}
	c, err := parseWAV(name, data)
	if err != nil {
		return nil, fmt.Errorf("wav %s: %w", name, err)
	}
	return c, nil
}

// parseWAV walks the RIFF chunks (the "fmt " chunk before "data"); the
// format is checked rather than converted: prompts are made for the phone
// network and anything else is a mistake to report at load.
func parseWAV(name string, b []byte) (*Clip, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("not a RIFF/WAVE file: %w", ErrBadWAV)
	}
	b = b[12:]
	var (
		haveFmt       bool
		format, chans uint16
		rate          uint32
		bits          uint16
	)
	for len(b) >= 8 {
		id, size := string(b[0:4]), binary.LittleEndian.Uint32(b[4:8])
		b = b[8:]
		if id == "data" && size == 0xFFFFFFFF {
			size = uint32(len(b)) // streamed WAV: data runs to the end
		}
		if uint64(size) > uint64(len(b)) {
			return nil, fmt.Errorf("chunk %q of %d bytes truncated at %d: %w", id, size, len(b), ErrBadWAV)
		}
		body := b[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("fmt chunk of %d bytes: %w", size, ErrBadWAV)
			}
			format = binary.LittleEndian.Uint16(body[0:2])
			chans = binary.LittleEndian.Uint16(body[2:4])
			rate = binary.LittleEndian.Uint32(body[4:8])
			bits = binary.LittleEndian.Uint16(body[14:16])
			if format == wavExtensible {
				if size < 26 {
					return nil, fmt.Errorf("extensible fmt chunk of %d bytes: %w", size, ErrBadWAV)
				}
				format = binary.LittleEndian.Uint16(body[24:26]) // SubFormat GUID's first two bytes
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("data chunk before fmt chunk: %w", ErrBadWAV)
			}
			return clipFromWAV(name, format, chans, rate, bits, body)
		}
		b = b[size:]
		if size%2 == 1 && len(b) > 0 { // chunks are padded to even sizes
			b = b[1:]
		}
	}
	return nil, fmt.Errorf("no data chunk: %w", ErrBadWAV)
}

func clipFromWAV(name string, format, chans uint16, rate uint32, bits uint16, data []byte) (*Clip, error) {
	if chans != 1 || rate != SampleRate {
		return nil, fmt.Errorf("%d Hz %d channels, want 8000 Hz mono: %w", rate, chans, ErrBadWAV)
	}
	switch {
	case (format == wavMuLaw || format == wavALaw) && bits == 8:
		if len(data) == 0 {
			return nil, fmt.Errorf("no audio: %w", ErrBadWAV)
		}
		codec := PCMU
		if format == wavALaw {
			codec = PCMA
		}
		return newClipG711(name, codec, append([]byte(nil), data...)), nil
	case format == wavPCM && bits == 16:
		if len(data) < 2 {
			return nil, fmt.Errorf("no audio: %w", ErrBadWAV)
		}
		pcm := make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		return NewClipPCM(name, pcm), nil
	}
	return nil, fmt.Errorf("format %#04x with %d bits, want G.711 µ-law, A-law or 16-bit PCM: %w", format, bits, ErrBadWAV)
}
