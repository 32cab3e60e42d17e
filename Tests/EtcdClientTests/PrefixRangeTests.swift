import Testing

@testable import EtcdClient

@Suite struct PrefixRangeTests {
    @Test func rangeEndIsThePrefixWithItsLastByteIncremented() {
        #expect(prefixRangeEnd(Array("/a/".utf8)) == Array("/a0".utf8))
        #expect(prefixRangeEnd([0x61, 0xff]) == [0x62])
        #expect(prefixRangeEnd([0xff, 0xff]) == [0])
        #expect(prefixRangeEnd([]) == [0])
    }
}
