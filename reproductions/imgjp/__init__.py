"""ImgJP, the image jailbreaking prompt (Niu et al., arXiv 2402.02309): a universal white-box image."""
