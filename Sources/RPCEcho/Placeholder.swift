enum EchoPlaceholder {}
