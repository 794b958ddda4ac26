//! The `reconciliation`, `reconciliation_item` and `mock_acquirer_ledger` rows, and SimplePG's
//! own movements of a day as the reconciliation reads them.

use diesel::sql_types::{BigInt, Nullable, Text, Timestamp as SqlTimestamp};
use domain::{
    ports::LedgerEntry,
    reconciliation::{
        AcquirerLine, Discrepancy, DiscrepancyKind, OwnLine, Reconciliation, ReconciliationId,
        ReconciliationSummary,
    },
    settlement::SettlementDate,
};

use super::settlement_rows::line_type;
use super::*;
use crate::schema::{mock_acquirer_ledger, reconciliation, reconciliation_item};

const RECONCILIATION: &str = "reconciliation";
const ITEM: &str = "reconciliation_item";
const LEDGER: &str = "mock_acquirer_ledger";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reconciliation)]
pub struct ReconciliationRow {
    #[diesel(skip_insertion)]
    pub seq: i64,
    pub reconciliation_id: String,
    pub reconciliation_date: String,
    pub matched: i64,
    pub discrepancy_count: i64,
    pub created_at: PrimitiveDateTime,
    pub created_by: String,
}

impl JoinKey for ReconciliationRow {
    fn join_key(&self) -> &str {
        &self.reconciliation_id
    }
}

impl From<&Reconciliation> for ReconciliationRow {
    fn from(r: &Reconciliation) -> Self {
        Self {
            seq: 0,
            reconciliation_id: r.id.as_str().to_owned(),
            reconciliation_date: r.date.to_string(),
            matched: wide(r.matched),
            discrepancy_count: wide(r.discrepancies.len() as u64),
            created_at: to_db_time(r.created_at),
            created_by: r.created_by.clone(),
        }
    }
}

impl ReconciliationRow {
    fn cells(&self) -> Cells<'_> {
        Cells {
            table: RECONCILIATION,
            key: &self.reconciliation_id,
        }
    }

    /// The id, date and matched count of the row, parsed.
    fn header(&self) -> Result<(ReconciliationId, SettlementDate, u64), RepositoryError> {
        let c = self.cells();
        Ok((
            c.col(
                "reconciliation_id",
                ReconciliationId::parse(&self.reconciliation_id),
            )?,
            c.col(
                "reconciliation_date",
                SettlementDate::parse(&self.reconciliation_date),
            )?,
            c.int("matched", self.matched)?,
        ))
    }

    /// The reconciliation of this row with its `items` (in stored order).
    pub fn with_items(self, items: Vec<ItemRow>) -> Result<Reconciliation, RepositoryError> {
        let (id, date, matched) = self.header()?;
        let discrepancies = items
            .into_iter()
            .map(Discrepancy::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Reconciliation {
            id,
            date,
            matched,
            discrepancies,
            created_at: from_db_time(self.created_at),
            created_by: self.created_by,
        })
    }

    /// The summary of this row with its discrepancies counted by kind.
    pub fn summary(
        self,
        counts: Vec<KindCountRow>,
    ) -> Result<ReconciliationSummary, RepositoryError> {
        let (id, date, matched) = self.header()?;
        let c = self.cells();
        let mut summary = ReconciliationSummary {
            id,
            date,
            matched,
            amount_mismatches: 0,
            missing_at_acquirer: 0,
            missing_at_simplepg: 0,
        };
        for row in counts {
            let n = c.int("discrepancy count", row.n)?;
            match DiscrepancyKind::parse(&row.kind) {
                Some(DiscrepancyKind::AmountMismatch) => summary.amount_mismatches = n,
                Some(DiscrepancyKind::MissingAtAcquirer) => summary.missing_at_acquirer = n,
                Some(DiscrepancyKind::MissingAtSimplePg) => summary.missing_at_simplepg = n,
                None => {
                    return Err(corrupt(ITEM, &row.kind, "kind is not a discrepancy kind"));
                }
            }
        }
        Ok(summary)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reconciliation_item)]
pub struct ItemRow {
    #[diesel(skip_insertion)]
    pub seq: i64,
    pub reconciliation_id: String,
    pub kind: String,
    pub payment_key: String,
    pub client_id: Option<String>,
    pub transaction_id: Option<String>,
    pub line_type: String,
    pub simplepg_amount: Option<i64>,
    pub acquirer_amount: Option<i64>,
    pub occurred_at: PrimitiveDateTime,
}

impl JoinKey for ItemRow {
    fn join_key(&self) -> &str {
        &self.reconciliation_id
    }
}

impl ItemRow {
    pub fn new(id: &ReconciliationId, d: &Discrepancy) -> Self {
        let ours = |o: &OwnLine, acquirer_amount| Self {
            seq: 0,
            reconciliation_id: id.as_str().to_owned(),
            kind: d.kind().as_str().to_owned(),
            payment_key: o.payment_key.to_string(),
            client_id: Some(o.client_id.as_str().to_owned()),
            transaction_id: o.transaction_id.as_ref().map(|t| t.as_str().to_owned()),
            line_type: o.line_type.as_str().to_owned(),
            simplepg_amount: Some(o.amount),
            acquirer_amount,
            occurred_at: to_db_time(o.at),
        };
        match d {
            Discrepancy::AmountMismatch {
                ours: o,
                acquirer_amount,
            } => ours(o, Some(*acquirer_amount)),
            Discrepancy::MissingAtAcquirer(o) => ours(o, None),
            Discrepancy::MissingAtSimplePg(t) => Self {
                seq: 0,
                reconciliation_id: id.as_str().to_owned(),
                kind: d.kind().as_str().to_owned(),
                payment_key: t.payment_key.to_string(),
                client_id: None,
                transaction_id: Some(t.transaction_id.as_str().to_owned()),
                line_type: t.line_type.as_str().to_owned(),
                simplepg_amount: None,
                acquirer_amount: Some(t.amount),
                occurred_at: to_db_time(t.at),
            },
        }
    }
}

impl TryFrom<ItemRow> for Discrepancy {
    type Error = RepositoryError;

    fn try_from(r: ItemRow) -> Result<Self, RepositoryError> {
        let key = r.seq.to_string();
        let c = Cells {
            table: ITEM,
            key: &key,
        };
        let kind = c.col(
            "kind",
            DiscrepancyKind::parse(&r.kind).ok_or("is not a discrepancy kind"),
        )?;
        let payment_key = c.col("payment_key", PaymentKey::parse(&r.payment_key))?;
        let line_type = line_type(c, &r.line_type)?;
        let transaction_id = c.opt(
            "transaction_id",
            r.transaction_id.as_deref(),
            TransactionId::parse,
        )?;
        let at = from_db_time(r.occurred_at);
        let required = |column: &str, v: Option<i64>| {
            c.col(column, v.ok_or("is NULL for this kind of discrepancy"))
        };
        if kind == DiscrepancyKind::MissingAtSimplePg {
            let transaction_id = c.col(
                "transaction_id",
                transaction_id.ok_or("is NULL for a line of the acquirer's"),
            )?;
            let amount = required("acquirer_amount", r.acquirer_amount)?;
            let line = c.col(
                "acquirer_amount",
                AcquirerLine::new(transaction_id, payment_key, line_type, amount, at),
            )?;
            return Ok(Self::MissingAtSimplePg(line));
        }
        let ours = OwnLine {
            payment_key,
            client_id: c.col(
                "client_id",
                ClientId::parse(r.client_id.as_deref().unwrap_or_default()),
            )?,
            transaction_id,
            line_type,
            amount: required("simplepg_amount", r.simplepg_amount)?,
            at,
        };
        Ok(match kind {
            DiscrepancyKind::AmountMismatch => Self::AmountMismatch {
                ours,
                acquirer_amount: required("acquirer_amount", r.acquirer_amount)?,
            },
            DiscrepancyKind::MissingAtAcquirer | DiscrepancyKind::MissingAtSimplePg => {
                Self::MissingAtAcquirer(ours)
            }
        })
    }
}

/// One of SimplePG's movements of a day: a capture (`seq` 0) or a succeeded cancel (its
/// `seq`), with the payment id the capture pages go by.
#[derive(Debug, QueryableByName)]
pub struct OwnLineRow {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub payment_id: String,
    #[diesel(sql_type = Text)]
    pub payment_key: String,
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub transaction_id: Option<String>,
    #[diesel(sql_type = Text)]
    pub line_type: String,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    #[diesel(sql_type = SqlTimestamp)]
    pub at: PrimitiveDateTime,
}

impl TryFrom<OwnLineRow> for OwnLine {
    type Error = RepositoryError;

    fn try_from(r: OwnLineRow) -> Result<Self, RepositoryError> {
        let c = Cells {
            table: "payment",
            key: &r.payment_id,
        };
        Ok(Self {
            payment_key: c.col("payment_key", PaymentKey::parse(&r.payment_key))?,
            client_id: c.col("client_id", ClientId::parse(&r.client_id))?,
            transaction_id: c.opt(
                "transaction_id",
                r.transaction_id.as_deref(),
                TransactionId::parse,
            )?,
            line_type: line_type(c, &r.line_type)?,
            amount: r.amount,
            at: from_db_time(r.at),
        })
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = mock_acquirer_ledger)]
pub struct LedgerRow {
    #[diesel(skip_insertion)]
    pub seq: i64,
    pub transaction_id: String,
    pub payment_key: String,
    pub line_type: String,
    pub amount: i64,
    pub payment_amount: i64,
    pub recorded_at: PrimitiveDateTime,
}

impl From<&LedgerEntry> for LedgerRow {
    fn from(e: &LedgerEntry) -> Self {
        Self {
            seq: 0,
            transaction_id: e.transaction_id.as_str().to_owned(),
            payment_key: e.payment_key.to_string(),
            line_type: e.line_type.as_str().to_owned(),
            amount: e.amount,
            payment_amount: e.payment_amount,
            recorded_at: to_db_time(e.at),
        }
    }
}

impl TryFrom<LedgerRow> for LedgerEntry {
    type Error = RepositoryError;

    fn try_from(r: LedgerRow) -> Result<Self, RepositoryError> {
        let c = Cells {
            table: LEDGER,
            key: &r.transaction_id,
        };
        Ok(Self {
            transaction_id: c.col("transaction_id", TransactionId::parse(&r.transaction_id))?,
            payment_key: c.col("payment_key", PaymentKey::parse(&r.payment_key))?,
            line_type: line_type(c, &r.line_type)?,
            amount: r.amount,
            payment_amount: r.payment_amount,
            at: from_db_time(r.recorded_at),
        })
    }
}

/// How many discrepancies of one kind a reconciliation has.
#[derive(Debug, QueryableByName)]
pub struct KindCountRow {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}
