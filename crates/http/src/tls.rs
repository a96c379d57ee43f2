//! The HTTPS listener with card authentication (mutual TLS, R27).
//!
//! rustls asks every client for a certificate and checks any it gets against the card CAs
//! (chain and validity); a client without one still connects, so that the API can answer 401
//! with a reason instead of a TLS alert nobody can read. The verified end-entity certificate is
//! handed to the handlers as a request extension ([`PeerCertificate`]); which card it belongs to,
//! and whether that card is still good, the registration layer decides from the database on each
//! request, so that an opposed card stops working at once and on every node.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The client certificate the TLS handshake verified (DER), if the client sent one.
#[derive(Clone, Debug, Default)]
pub struct PeerCertificate(pub Option<Arc<Vec<u8>>>);

/// Why the TLS settings could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{what}: {message}")]
    /// A PEM input could not be read or parsed.
    Pem {
        /// Which input: `server certificate`, `server key` or `card CA bundle`.
        what: &'static str,
        /// The parser's message.
        message: String,
    },
    #[error("TLS configuration: {0}")]
    /// The rustls configuration could not be built.
    Config(String),
}

/// The server's certificate chain and key (PEM), and the card CAs (PEM) client certificates must
/// chain to.
pub fn server_config(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
    card_cas_pem: &[u8],
) -> Result<Arc<ServerConfig>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem { what: "server certificate", message: e.to_string() })?;
    if chain.is_empty() {
        return Err(TlsError::Pem { what: "server certificate", message: "no CERTIFICATE block".into() });
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| TlsError::Pem { what: "server key", message: e.to_string() })?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(card_cas_pem) {
        let cert = cert.map_err(|e| TlsError::Pem { what: "card CA bundle", message: e.to_string() })?;
        roots.add(cert).map_err(|e| TlsError::Pem { what: "card CA bundle", message: e.to_string() })?;
    }
    if roots.is_empty() {
        return Err(TlsError::Pem { what: "card CA bundle", message: "no CA certificate".into() });
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `router` over TLS on `listener` until `shutdown` completes. Each connection gets its
/// client certificate as a [`PeerCertificate`] extension; a failed handshake closes that
/// connection only.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    config: Arc<ServerConfig>,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    tokio::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp)).await;
            let tls = match handshake {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%remote, error = %e, "TLS handshake refused");
                    return;
                }
                Err(_) => return,
            };
            let peer =
                tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| Arc::new(c.as_ref().to_vec()));
            let service = router
                .layer(axum::Extension(PeerCertificate(peer)))
                .layer(axum::Extension(axum::extract::ConnectInfo::<SocketAddr>(remote)));
            let service = TowerToHyperService::new(service);
            if let Err(e) = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(tls), service).await
            {
                tracing::debug!(%remote, error = %e, "connection ended");
            }
        });
    }
}

/// A self-signed server certificate for `names` (the demo and tests, when no certificate is
/// configured): (chain PEM, key PEM).
pub fn self_signed(names: &[String]) -> Result<(String, String), TlsError> {
    let certified = rcgen::generate_simple_self_signed(names.to_vec()).map_err(|e| TlsError::Config(e.to_string()))?;
    Ok((certified.cert.pem(), certified.key_pair.serialize_pem()))
}
