import RPCCore

extension InferTensor {
    /// A tensor of numbers, given in row-major order.
    public init<Scalar: TensorScalar>(
        name: String, shape: [Int64], values: [Scalar], parameters: [String: InferParameter] = [:]
    ) {
        let data = values.withUnsafeBytes { Array($0) }
        self.init(name: name, datatype: Scalar.tensorDataType, shape: shape, parameters: parameters, data: data)
    }

    /// A BOOL tensor, one byte (0 or 1) per element.
    public init(name: String, shape: [Int64], bools: [Bool], parameters: [String: InferParameter] = [:]) {
        self.init(
            name: name, datatype: .bool, shape: shape, parameters: parameters, data: bools.map { $0 ? 1 : 0 })
    }

    /// A BYTES tensor from its elements, which are length-prefixed into `data`.
    public init(
        name: String, shape: [Int64], bytesElements: [[UInt8]], parameters: [String: InferParameter] = [:]
    ) {
        var data: [UInt8] = []
        data.reserveCapacity(bytesElements.reduce(0) { $0 + 4 + $1.count })
        for element in bytesElements {
            precondition(element.count <= UInt32.max, "a BYTES element is at most 4 GiB")
            withUnsafeBytes(of: UInt32(element.count).littleEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: element)
        }
        self.init(name: name, datatype: .bytes, shape: shape, parameters: parameters, data: data)
    }

    /// The elements as `Scalar`; INVALID_ARGUMENT when the datatype differs or the data does not
    /// match the shape.
    public func values<Scalar: TensorScalar>(as type: Scalar.Type = Scalar.self) throws(RPCError) -> [Scalar] {
        try expect(Scalar.tensorDataType)
        try validate()
        let count = data.count / MemoryLayout<Scalar>.size
        return data.withUnsafeBytes { bytes in
            [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
                // Copy rather than rebind: `data` has no alignment guarantee for `Scalar`.
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
                initialized = count
            }
        }
    }

    /// The elements of a BOOL tensor; any non-zero byte is true.
    public func bools() throws(RPCError) -> [Bool] {
        try expect(.bool)
        try validate()
        return data.map { $0 != 0 }
    }

    /// The elements of a BYTES tensor, without their length prefixes.
    public func bytesElements() throws(RPCError) -> [[UInt8]] {
        try expect(.bytes)
        try validate()
        var elements: [[UInt8]] = []
        data.withUnsafeBytes { bytes in
            TensorLayout.forEachBytesElement(bytes) { elements.append(Array($0)) }
        }
        return elements
    }

    private func expect(_ datatype: TensorDataType) throws(RPCError) {
        guard self.datatype == datatype else {
            throw RPCError(.invalidArgument, "tensor '\(name)' has datatype \(self.datatype), expected \(datatype)")
        }
    }
}
