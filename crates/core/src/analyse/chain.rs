//! Chain analysis: the chain a peer sent + trust anchors + optional CRLs + name + purpose + time
//! → findings with evidence. Path validation is rustls-webpki's; classification is ours.
