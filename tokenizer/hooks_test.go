package tokenizer

// MachineClass exposes the machine's merge class to the external tests.
var MachineClass = (*Machine).class
