package marathon

import (
	"encoding/json"
	"fmt"
)

// scanner parses one JSON value held in memory, in a single pass and
// without reflection: the app list of a large cluster is tens of megabytes
// and encoding/json spends most of its time validating it byte by byte,
// then again while decoding. It accepts exactly what encoding/json accepts
// and decodes values as encoding/json does into an any with UseNumber.
type scanner struct {
	data []byte
	pos  int
	// keyStart is where the key object passed to its callback starts.
	keyStart int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", s.pos, fmt.Sprintf(format, args...))
}

// peek skips white space and returns the next byte, 0 at the end.
func (s *scanner) peek() byte {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.errorf("want %q", c)
	}
	s.pos++
	return nil
}

// end checks that only white space follows.
func (s *scanner) end() error {
	if s.peek() != 0 || s.pos < len(s.data) {
		return s.errorf("data after the value")
	}
	return nil
}

// null consumes a null if one comes next.
func (s *scanner) null() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.errorf("want %s", lit)
	}
	s.pos += len(lit)
	return nil
}

// object calls f with each key of an object; f consumes the value. The key
// is only valid during the call.
func (s *scanner) object(f func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		s.peek()
		start := s.pos
		key, err := s.str()
		if err != nil {
			return err
		}
		s.keyStart = start
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := f(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.errorf("want , or }")
		}
	}
}

// objectOrNull is object, with null read as an empty object.
func (s *scanner) objectOrNull(f func(key []byte) error) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	return s.object(f)
}

// array calls f for each element of an array; f consumes it.
func (s *scanner) array(f func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		if err := f(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.errorf("want , or ]")
		}
	}
}

// arrayOrNull is array, with null read as an empty array.
func (s *scanner) arrayOrNull(f func() error) error {
	if null, err := s.null(); null || err != nil {
		return err
	}
	return s.array(f)
}

// stringEnd validates the string starting at s.pos (a quote) and returns
// the index of its closing quote; plain is true when it holds neither
// escapes nor non-ASCII bytes, so that its bytes are its value.
func (s *scanner) stringEnd() (end int, plain bool, err error) {
	if s.peek() != '"' {
		return 0, false, s.errorf("want a string")
	}
	plain = true
	d := s.data
	for i := s.pos + 1; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			return i, plain, nil
		case c == '\\':
			plain = false
			i++
			if i >= len(d) {
				break
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(d) || !isHex(d[i+1]) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) {
					return 0, false, s.errorf("bad \\u escape")
				}
				i += 4
			default:
				return 0, false, s.errorf("bad escape")
			}
		case c < 0x20:
			return 0, false, s.errorf("control character in a string")
		case c >= 0x80:
			plain = false
		}
	}
	return 0, false, s.errorf("unterminated string")
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// str reads a string and returns its value, which may share the input.
func (s *scanner) str() ([]byte, error) {
	end, plain, err := s.stringEnd()
	if err != nil {
		return nil, err
	}
	quoted := s.data[s.pos : end+1]
	s.pos = end + 1
	if plain {
		return quoted[1 : len(quoted)-1], nil
	}
	// Escapes and UTF-8 (invalid sequences become U+FFFD) are rare in app
	// definitions: let encoding/json decode them exactly as it would.
	var v string
	if err := json.Unmarshal(quoted, &v); err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// stringValue reads a string into a Go string.
func (s *scanner) stringValue() (string, error) {
	b, err := s.str()
	return intern(b), err
}

// number reads a number literal (JSON's grammar exactly).
func (s *scanner) number() ([]byte, error) {
	d, i := s.data, s.pos
	digits := func() bool {
		j := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return nil, s.errorf("want a value")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return nil, s.errorf("bad number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return nil, s.errorf("bad number")
		}
	}
	b := d[s.pos:i]
	s.pos = i
	return b, nil
}

// value decodes any JSON value as encoding/json does into an any, numbers
// as json.Number.
func (s *scanner) value() (any, error) {
	switch s.peek() {
	case '{':
		m := make(map[string]any)
		err := s.object(func(key []byte) error {
			v, err := s.value()
			m[intern(key)] = v
			return err
		})
		return m, err
	case '[':
		l := []any{}
		err := s.array(func() error {
			v, err := s.value()
			l = append(l, v)
			return err
		})
		return l, err
	case '"':
		return s.stringValue()
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	case 'n':
		return nil, s.literal("null")
	default:
		b, err := s.number()
		return json.Number(intern(b)), err
	}
}

// skip validates and passes over one value.
func (s *scanner) skip() error {
	switch s.peek() {
	case '{':
		return s.object(func([]byte) error { return s.skip() })
	case '[':
		return s.array(s.skip)
	case '"':
		end, _, err := s.stringEnd()
		s.pos = end + 1
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		_, err := s.number()
		return err
	}
}
