import Foundation

/// An order as `POST /orders` takes it.
struct Order: Codable, Sendable {
    var id: String
    var item: String
    var quantity: Int
    /// Unit price in cents.
    var unitPrice: Int

    /// Why the order cannot be accepted, or `nil` if it can.
    var problem: String? {
        if id.isEmpty || id.utf8.count > 128 { return "id must be 1 to 128 bytes" }
        if item.isEmpty { return "item must not be empty" }
        if quantity < 1 || quantity > 10_000 { return "quantity must be 1 to 10000" }
        if unitPrice < 0 { return "unitPrice must not be negative" }
        return nil
    }
}

/// What the pipeline writes to the output topic for each order it read.
struct AcceptedOrder: Codable, Sendable {
    var id: String
    var item: String
    var quantity: Int
    var unitPrice: Int
    var total: Int
    /// Where the order event was read from (`topic/partition/offset`).
    var source: String

    init(_ order: Order, source: String) {
        self.id = order.id
        self.item = order.item
        self.quantity = order.quantity
        self.unitPrice = order.unitPrice
        self.total = order.quantity * order.unitPrice
        self.source = source
    }
}
