package tokenizer

// MachineClass exposes the machine's merge class to the external tests.
var MachineClass = (*Machine).class

// ClosingToken exposes the next token of a short close to the external
// tests (random walks use it to end strings under a pattern).
var ClosingToken = (*Machine).closingToken
