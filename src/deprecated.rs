//! Public paths kept for one release after they moved, each forwarding to its new home.
//! Nothing in the crate uses them.

use std::borrow::Cow;

use crate::marketplace::MarketplaceMetrics;
use crate::platform::{
    CircuitBreakers, ConnectionPools, DbClient, GenAi, GenAiOperation, Messaging, Platform,
    RateLimiters,
};

/// The platform handles were methods of [`MarketplaceMetrics`]; they are
/// [`Platform`]'s now (`telemetry.platform()`, or [`Platform::new`] over any meter).
impl MarketplaceMetrics {
    fn platform_handles(&self) -> Platform {
        let platform = Platform::new(self.meter_ref());
        match self.namespace() {
            Some(ns) => platform.with_metrics_namespace(ns),
            None => platform,
        }
    }

    /// Moved: [`Platform::db_client`] (`telemetry.platform().db_client(..)`).
    #[deprecated(
        since = "0.1.0",
        note = "use `Telemetry::platform()` / `Platform::db_client`"
    )]
    pub fn db_client<O, C>(
        &self,
        system: impl Into<Cow<'static, str>>,
        operations: impl IntoIterator<Item = O>,
        collections: impl IntoIterator<Item = C>,
    ) -> DbClient
    where
        O: Into<Cow<'static, str>>,
        C: Into<Cow<'static, str>>,
    {
        self.platform_handles()
            .db_client(system, operations, collections)
    }

    /// Moved: [`Platform::connection_pools`] (`telemetry.platform().connection_pools(..)`).
    #[deprecated(
        since = "0.1.0",
        note = "use `Telemetry::platform()` / `Platform::connection_pools`"
    )]
    pub fn connection_pools<I, S>(&self, names: I) -> ConnectionPools
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.platform_handles().connection_pools(names)
    }

    /// Moved: [`Platform::messaging`] (`telemetry.platform().messaging(..)`).
    #[deprecated(
        since = "0.1.0",
        note = "use `Telemetry::platform()` / `Platform::messaging`"
    )]
    pub fn messaging<I, S>(
        &self,
        system: impl Into<Cow<'static, str>>,
        destinations: I,
    ) -> Messaging
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.platform_handles().messaging(system, destinations)
    }

    /// Moved: [`Platform::gen_ai`] (`telemetry.platform().gen_ai(..)`).
    #[deprecated(
        since = "0.1.0",
        note = "use `Telemetry::platform()` / `Platform::gen_ai`"
    )]
    pub fn gen_ai<I, A, B>(
        &self,
        operations: impl IntoIterator<Item = GenAiOperation>,
        models: I,
    ) -> GenAi
    where
        I: IntoIterator<Item = (A, B)>,
        A: Into<Cow<'static, str>>,
        B: Into<Cow<'static, str>>,
    {
        self.platform_handles().gen_ai(operations, models)
    }

    /// Moved: [`Platform::circuit_breakers`] (`telemetry.platform().circuit_breakers(..)`).
    #[deprecated(
        since = "0.1.0",
        note = "use `Telemetry::platform()` / `Platform::circuit_breakers`"
    )]
    pub fn circuit_breakers<I, S>(&self, names: I) -> CircuitBreakers
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.platform_handles().circuit_breakers(names)
    }

    /// Moved: [`Platform::rate_limiters`] (`telemetry.platform().rate_limiters(..)`).
    #[deprecated(
        since = "0.1.0",
        note = "use `Telemetry::platform()` / `Platform::rate_limiters`"
    )]
    pub fn rate_limiters<I, S>(&self, names: I) -> RateLimiters
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.platform_handles().rate_limiters(names)
    }
}
