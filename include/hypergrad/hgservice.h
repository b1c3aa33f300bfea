/*
   hypergrad service: the outer hypergradient descent (HGOuter), its HDF5 checkpoints and
   run history.  Included by <hypergrad.h>.
*/
#pragma once
