package tokenizer

import "sort"

// idTrie indexes the expansions of merged ids by their base tokens, so the
// ids allowed next can be found by walking only the prefixes the grammar
// accepts, instead of trying every expansion.
type idTrie struct {
	children []trieEdge // sorted by token
	ids      []int32    // merged ids whose expansion ends here
	special  bool       // the subtree holds a non-ASCII byte or a structural token
	// specialText: the same, not counting a last END (ids spelled ASCII
	// bytes + END, all allowed in a string that may end: see asciiEndIDs).
	specialText bool
}

type trieEdge struct {
	tok Token
	c   *idTrie
}

func buildTrie(m *Merges) *idTrie {
	root := &idTrie{}
	for id := m.First; id < m.Size(); id++ {
		n := root
		for _, b := range m.exp[id] {
			var c *idTrie
			for _, e := range n.children {
				if e.tok == b {
					c = e.c
					break
				}
			}
			if c == nil {
				c = &idTrie{}
				n.children = append(n.children, trieEdge{b, c})
			}
			n = c
		}
		n.ids = append(n.ids, int32(id))
	}
	var sortAll func(n *idTrie)
	sortAll = func(n *idTrie) {
		sort.Slice(n.children, func(i, j int) bool { return n.children[i].tok < n.children[j].tok })
		for _, e := range n.children {
			sortAll(e.c)
			n.special = n.special || e.tok >= 0x80 || e.c.special
			lastEnd := e.tok == TokEnd && len(e.c.children) == 0
			n.specialText = n.specialText || e.tok >= 0x80 && !lastEnd || e.c.specialText
		}
	}
	sortAll(root)
	return root
}

// asciiSets returns the merged ids spelled in ASCII bytes only, and those
// spelled ASCII bytes then END: inside a string at a character boundary the
// first are all allowed without a walk, and the second too when the string
// may end there.
func asciiSets(m *Merges) (ascii, asciiEnd Mask) {
	ascii, asciiEnd = newMask(m.Size()), newMask(m.Size())
	for id := m.First; id < m.Size(); id++ {
		e := m.exp[id]
		n := 0 // leading ASCII bytes
		for n < len(e) && e[n] < 0x80 {
			n++
		}
		switch {
		case n == len(e):
			ascii.set(Token(id))
		case n == len(e)-1 && n >= 1 && e[n] == TokEnd:
			asciiEnd.set(Token(id))
		}
	}
	return ascii, asciiEnd
}

// AllowedIDs returns the content ids that may come next from the machine's
// state: a base id when the grammar allows it, a merged id when its whole
// expansion is accepted. The machine is not changed. The mask is shared with
// later calls from the same state: read it, do not change it.
func (t *Tokenizer) AllowedIDs(m *Machine) Mask {
	if t.Text != nil { // no grammar: every content id
		b := newMask(t.Layout.Content)
		b.setRange(0, Token(t.Layout.Content-1))
		return b
	}
	sig, ok := m.signature(t.masks.seedOf())
	if !ok {
		return t.allowedIDs(m)
	}
	if b, hit := t.masks.get(sig); hit {
		return b
	}
	b := t.allowedIDs(m)
	t.masks.put(sig, b)
	return b
}

// allowedIDs computes AllowedIDs (no cache).
func (t *Tokenizer) allowedIDs(m *Machine) Mask {
	t.trieOnce.Do(func() {
		for _, m := range t.Tables {
			t.tries = append(t.tries, buildTrie(m))
			ascii, asciiEnd := asciiSets(m)
			t.ascii, t.asciiEnd = append(t.ascii, ascii), append(t.asciiEnd, asciiEnd)
		}
	})
	res := newMask(t.Layout.Content)
	allowed := m.Allowed()
	if m.Done() {
		return res // nothing comes after the document
	}
	c := m.class()
	for _, b := range allowed.Tokens() {
		if int(b) < t.Tables[c].First { // ids from First on are merges in this state
			res.set(b)
		}
	}
	w := idWalk{root: t.tries[c], ascii: t.ascii[c], asciiEnd: t.asciiEnd[c]}
	w.walk(w.root, m, allowed, res)
	return res
}

// idWalk walks the trie of one merge table (that of the state the walk
// starts in: every merged id means what its first state's table says).
type idWalk struct {
	root            *idTrie
	ascii, asciiEnd Mask
	text            bool   // in a string that may end here: asciiEnd is allowed, last ENDs need no walk
	key             []byte // a strict key walk: the key so far (scratch)
}

// special reports whether the walk must enter n's subtree.
func (t *idWalk) special(n *idTrie) bool {
	if t.text {
		return n.specialText
	}
	return n.special
}

func (t *idWalk) walk(n *idTrie, m *Machine, allowed Mask, res Mask) {
	if f := m.top(); f != nil && (f.kind == fKey && m.strict || f.kind == fString && m.patterned(f.node)) {
		// A strict key or a patterned string: bytes move only the UTF-8 state
		// and the pattern match, checked per byte, with no shortcuts and no
		// machine clone per edge.
		t.walkBytes(n, m, *f, nil, nil, res)
		return
	}
	if f := m.top(); f != nil && (f.kind == fString || f.kind == fKey && !m.strict) {
		var after *afterEnd
		if f.kind == fString {
			// Whatever the bytes, closing the string leads to one state: compute it once.
			if m2 := m.cloneLight(); m2.popString() {
				after = &afterEnd{m: m2, allowed: m2.Allowed()}
			}
		}
		if n == t.root && f.u8need == 0 {
			// From the root, every all-ASCII expansion is allowed in a string,
			// and so is every ASCII one closed by END if the string may end;
			// only subtrees with other tokens need a walk.
			res.or(t.ascii)
			if after != nil {
				res.or(t.asciiEnd)
				t.text = true
				defer func() { t.text = false }()
			}
			t.walkBytesSpecial(n, m, *f, after, res)
			return
		}
		t.walkBytes(n, m, *f, nil, after, res)
		return
	}
	for _, e := range n.children {
		tok, c := e.tok, e.c
		if !allowed.Has(tok) {
			continue
		}
		m2 := m.cloneLight()
		if m2.Advance(tok) != nil {
			continue
		}
		for _, id := range c.ids {
			res.set(Token(id))
		}
		if len(c.children) > 0 && !m2.Done() {
			t.walk(c, m2, m2.Allowed(), res)
		}
	}
}

// walkBytes walks the trie inside a string (or a non-strict key) without
// cloning the machine for every byte: bytes only move the UTF-8 state, kept
// in u8; the machine is cloned when a token ends the string.
func (t *idWalk) walkBytes(n *idTrie, m *Machine, u8 frame, pending []byte, after *afterEnd, res Mask) {
	for _, e := range n.children {
		tok, c := e.tok, e.c
		if tok < TokEnd {
			next := u8
			if !utf8Step(&next, byte(tok)) || !t.keyByteOK(m, u8, pending, byte(tok)) {
				continue
			}
			if next.kind == fString && m.patterned(next.node) {
				next.key = append([]byte(nil), u8.key...)
				if !m.stringByte(&next, byte(tok)) {
					continue
				}
			}
			for _, id := range c.ids {
				res.set(Token(id))
			}
			if len(c.children) > 0 {
				t.walkBytes(c, m, next, append(pending, byte(tok)), after, res)
			}
			continue
		}
		if tok != TokEnd || u8.u8need > 0 {
			continue // only END may follow bytes in a string or key
		}
		if after != nil {
			for _, id := range c.ids {
				res.set(Token(id))
			}
			if len(c.children) > 0 && !after.m.Done() {
				t.walk(c, after.m, after.allowed, res)
			}
			continue
		}
		m2 := m.cloneLight()
		ok := true
		for _, b := range pending {
			if m2.Advance(Token(b)) != nil {
				ok = false
				break
			}
		}
		if !ok || m2.Advance(tok) != nil {
			continue
		}
		for _, id := range c.ids {
			res.set(Token(id))
		}
		if len(c.children) > 0 && !m2.Done() {
			t.walk(c, m2, m2.Allowed(), res)
		}
	}
}

// keyByteOK reports whether a strict key may go on with byte b after the
// pending bytes of the walk (as Allowed decides for one byte).
func (t *idWalk) keyByteOK(m *Machine, f frame, pending []byte, b byte) bool {
	if f.kind != fKey || !m.strict {
		return true
	}
	t.key = append(append(append(t.key[:0], f.key...), pending...), b)
	return len(t.key) <= maxStrictKey && m.keyViable(f.node, t.key)
}

// walkBytesSpecial is walkBytes from the trie root after the all-ASCII ids
// were added: it follows only the edges into subtrees that hold something
// else (a non-ASCII byte, END, structure).
func (t *idWalk) walkBytesSpecial(n *idTrie, m *Machine, u8 frame, after *afterEnd, res Mask) {
	var pending [1]byte
	for _, e := range n.children {
		if e.tok >= 0x80 || e.tok > TokEnd {
			// Non-ASCII or structural first tokens: the general walk, one edge.
			sub := &idTrie{children: []trieEdge{e}}
			t.walkBytes(sub, m, u8, nil, after, res)
			continue
		}
		if !t.special(e.c) {
			continue // all-ASCII subtree: already in res
		}
		if e.tok == TokEnd {
			sub := &idTrie{children: []trieEdge{e}}
			t.walkBytes(sub, m, u8, nil, after, res)
			continue
		}
		next := u8
		utf8Step(&next, byte(e.tok)) // ASCII: always valid
		pending[0] = byte(e.tok)
		t.walkBytesSpecialDeep(e.c, m, next, pending[:], after, res)
	}
}

// walkBytesSpecialDeep continues below an all-ASCII prefix: ASCII children
// without anything special below are skipped (their ids are all-ASCII).
func (t *idWalk) walkBytesSpecialDeep(n *idTrie, m *Machine, u8 frame, pending []byte, after *afterEnd, res Mask) {
	for _, e := range n.children {
		if e.tok < 0x80 && !t.special(e.c) {
			continue
		}
		if e.tok < 0x80 {
			next := u8
			utf8Step(&next, byte(e.tok))
			t.walkBytesSpecialDeep(e.c, m, next, append(pending, byte(e.tok)), after, res)
			continue
		}
		sub := &idTrie{children: []trieEdge{e}}
		t.walkBytes(sub, m, u8, pending, after, res)
	}
}

// afterEnd is the state after the current string closes.
type afterEnd struct {
	m       *Machine
	allowed Mask
}

// popString closes the string on top (as END does) if it may close now.
func (m *Machine) popString() bool {
	f := m.top()
	if f == nil || f.kind != fString || f.u8need > 0 {
		return false
	}
	return m.Advance(TokEnd) == nil
}

// cloneLight copies the state without the text decoded so far (a walk
// only needs to know what is accepted), except an open string's, which
// recall may remember when it closes.
func (m *Machine) cloneLight() *Machine {
	out := m.out
	m.out = nil
	c := m.Clone()
	m.out = out
	if f := c.top(); f != nil && f.kind == fString {
		c.out = append(c.out, out[f.start:]...)
		f.start, f.line = 0, f.line-f.start
	}
	return c
}
