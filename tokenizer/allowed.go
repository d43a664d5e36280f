package tokenizer

// maxStrictKey bounds the keys a strict machine lets a generator spell
// under patternProperties (real keys are short).
const maxStrictKey = 256

// staticMasks are the token sets that depend on the alphabet only.
type staticMasks struct {
	lead   Mask    // bytes that may start a UTF-8 character
	cont   [5]Mask // continuation ranges: 80-BF, A0-BF, 80-9F, 90-BF, 80-8F
	numAny [numBad]Mask
	numInt [numBad]Mask
}

var contRanges = [5][2]byte{{0x80, 0xBF}, {0xA0, 0xBF}, {0x80, 0x9F}, {0x90, 0xBF}, {0x80, 0x8F}}

func buildStaticMasks(size int) staticMasks {
	var s staticMasks
	s.lead = newMask(size)
	s.lead.setRange(0, 0x7F)
	s.lead.setRange(0xC2, 0xF4)
	for i, r := range contRanges {
		s.cont[i] = newMask(size)
		s.cont[i].setRange(Token(r[0]), Token(r[1]))
	}
	for st := uint8(0); st < numBad; st++ {
		s.numAny[st], s.numInt[st] = newMask(size), newMask(size)
		for b := 0; b < 256; b++ {
			if numNext(st, byte(b), false) != numBad {
				s.numAny[st].set(Token(b))
			}
			if numNext(st, byte(b), true) != numBad {
				s.numInt[st].set(Token(b))
			}
		}
		if numAccepting(st) {
			s.numAny[st].set(TokEnd)
			s.numInt[st].set(TokEnd)
		}
	}
	return s
}

func (s *staticMasks) utf8Mask(f *frame) Mask {
	if f.u8need == 0 {
		return s.lead
	}
	for i, r := range contRanges {
		if f.u8lo == r[0] && f.u8hi == r[1] {
			return s.cont[i]
		}
	}
	return s.cont[0]
}

// Allowed returns the set of tokens that Advance accepts next. The set is
// freshly allocated; for a value start it is a precomputed set (O(1)), in
// an object O(keys/64), in a key under a pattern O(256 × key length).
func (m *Machine) Allowed() Mask {
	b := newMask(m.g.Size)
	f := m.top()
	if f == nil {
		return b
	}
	g := m.g
	switch f.kind {
	case fValue:
		b.or(m.valueMask(f.node))
		m.recallMask(b, f.node)
	case fArray:
		b.or(m.valueMask(f.node.items))
		m.recallMask(b, f.node.items)
		if !m.strict || f.count >= f.node.minItems {
			b.set(TokEndArr)
		}
	case fObject:
		m.objectMask(b, f)
		m.keyRecallMask(b, f)
	case fKey:
		um := g.masks.utf8Mask(f)
		switch {
		case !m.strict || f.node.additional != nil:
			b.or(um)
		case len(f.key) < maxStrictKey:
			// Step each pattern's NFA once over the key, then per candidate byte.
			type st struct {
				k    *keyMatcher
				cur  []uint32
				rest []byte
			}
			var sts []st
			for i := range f.node.patterns {
				k := g.matcher(f.node, i)
				cur, rest := k.advance(f.key)
				sts = append(sts, st{k, cur, rest})
			}
			for _, t := range um.Tokens() {
				for _, s := range sts {
					if s.k.viableAfter(s.cur, s.rest, byte(t)) {
						b.set(t)
						break
					}
				}
			}
		}
		if f.u8need == 0 && (!m.strict || m.keyAcceptable(&m.stack[len(m.stack)-2], string(f.key))) {
			b.set(TokEnd)
		}
	case fString:
		if m.patterned(f.node) {
			m.patternMask(b, f)
			break
		}
		b.or(g.masks.utf8Mask(f))
		if f.u8need == 0 {
			b.set(TokEnd)
		}
		if m.atLineStart(f) {
			m.lineMask(b, f)
		}
	case fNumber:
		if f.node.Free&tNumber == 0 {
			b.or(g.masks.numInt[f.num])
		} else {
			b.or(g.masks.numAny[f.num])
		}
	}
	return b
}

// objectMask adds what may come inside an object frame.
func (m *Machine) objectMask(b Mask, f *frame) {
	n := f.node
	for i := range n.Props {
		if !m.strict || (f.used == nil || f.used[i/64]&(1<<(i%64)) == 0) && (n.alts == 0 || f.alts&n.allowedBy[i] != 0) {
			b.set(KeyBase + Token(i))
		}
	}
	endOK := true
	if m.strict {
		endOK = f.count >= n.minProps
		for _, r := range n.required {
			if f.used == nil || f.used[r/64]&(1<<(r%64)) == 0 {
				endOK = false
			}
		}
		if n.alts > 0 && !n.altSatisfied(f.alts, f.used) {
			endOK = false
		}
	}
	if endOK {
		b.set(TokEndObj)
	}
	m.keyStartMask(b, f)
}

// keyStartMask adds the first tokens of a key that is not a known property.
func (m *Machine) keyStartMask(b Mask, obj *frame) {
	n := obj.node
	if !m.strict {
		b.or(m.g.masks.lead)
		b.set(TokEnd)
		return
	}
	if n.additional == nil && len(n.patterns) == 0 || n.alts > 0 && obj.alts&n.openAlts == 0 {
		return
	}
	for _, t := range m.g.masks.lead.Tokens() {
		if m.keyViable(n, []byte{byte(t)}) {
			b.set(t)
		}
	}
	if m.keyAcceptable(obj, "") {
		b.set(TokEnd)
	}
}

// valueMask is the set of first tokens of a value under n (cached).
func (m *Machine) valueMask(n *Node) Mask {
	mode := 0
	if m.strict {
		mode = 1
	}
	if b := n.masks[mode]; b != nil {
		return *b
	}
	g := m.g
	b := newMask(g.Size)
	if !m.strict && !n.Any {
		b.set(TokEsc)
	}
	for i := range n.Enum {
		b.set(g.EnumBase + Token(i))
	}
	if n.Free&tBoolean != 0 {
		b.set(TokTrue)
		b.set(TokFalse)
	}
	if n.Free&tNull != 0 {
		b.set(TokNull)
	}
	if n.Free&tArray != 0 {
		b.set(TokArr)
	}
	switch {
	case n.Free&tString != 0 && m.patterned(n):
		m.patternMask(b, &frame{kind: fString, node: n, nfa: n.strMatch.begin()})
	case n.Free&tString != 0:
		b.or(g.masks.lead)
		b.set(TokEnd)
	}
	if n.Free&(tNumber|tInteger) != 0 {
		if n.numberImplicit() {
			b.or(g.masks.numAny[numStart])
		} else {
			b.set(TokNum)
		}
	}
	if n.Free&tObject != 0 {
		if n.objectImplicit() {
			// The object's first token: a key, its end, or an other key's first byte.
			f := frame{kind: fObject, node: n, alts: n.allAlts()}
			if m.strict && len(n.Props) > 0 {
				f.used = make([]uint64, (len(n.Props)+63)/64)
			}
			stack := m.stack
			m.stack = []frame{f, {kind: fKey, node: n}} // keyAcceptable looks at the parent frame
			m.objectMask(b, &m.stack[0])
			m.stack = stack
		} else {
			b.set(TokObj)
		}
	}
	n.masks[mode] = &b
	return b
}
