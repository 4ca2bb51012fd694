//! The period's volumes and sales (spec §5, §13, §20): PV and BV per credited distributor,
//! sales by category, company BV; net of in-period refunds (already in each order's value) and
//! of the late refunds booked in the period.

use crate::book::{Book, Category, Value};
use crate::close::Company;
use crate::genealogy::NONE;
use rust_decimal::Decimal;

/// Per-distributor volumes and sales of a period.
pub struct Volumes {
    pub pv: Vec<Decimal>,
    pub bv: Vec<Decimal>,
    pub retail_sales: Vec<Decimal>,
    pub personal_sales: Vec<Decimal>,
}

/// Tallies the period's `orders` and `late` refunds over `n` distributors.
pub fn tally(book: &Book, n: usize, orders: &[u32], late: &[u32]) -> (Volumes, Company) {
    let zero = || vec![Decimal::ZERO; n];
    let mut v = Volumes { pv: zero(), bv: zero(), retail_sales: zero(), personal_sales: zero() };
    let mut company = Company::default();
    for &o in orders {
        let o = &book.orders[o as usize];
        add(&mut v, &mut company, o.category, o.credited, o.value, Decimal::ONE);
    }
    for &r in late {
        let r = &book.refunds[r as usize];
        let o = &book.orders[r.order as usize];
        add(&mut v, &mut company, o.category, o.credited, r.removed, Decimal::NEGATIVE_ONE);
    }
    (v, company)
}

fn add(v: &mut Volumes, company: &mut Company, c: Category, credited: u32, value: Value, sign: Decimal) {
    let net_base = value.net * sign;
    company.sales += net_base;
    company.bv += value.bv * sign;
    match c {
        Category::Distributor => company.distributor_sales += net_base,
        Category::Retail => company.retail_sales += net_base,
        Category::House => company.house_sales += net_base,
    }
    if credited != NONE {
        let d = credited as usize;
        v.pv[d] += value.pv * sign;
        v.bv[d] += value.bv * sign;
        match c {
            Category::Retail => v.retail_sales[d] += net_base,
            Category::Distributor => v.personal_sales[d] += net_base,
            Category::House => {}
        }
    }
}
