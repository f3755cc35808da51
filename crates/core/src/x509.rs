//! Certificate facts from DER: names, SANs, validity, key, EKU, signature algorithm, fingerprints.
