"""Writes opset-21 models whose MatMul weight is a blocked DequantizeLinear
(block_size 32 along K) of a constant int8/uint8 tensor, with and without
zero points, and an input for each: weight-only 8-bit models as other
quantizers write them in standard ONNX.

    make_blocked_dq_models.py OUT_DIR

writes OUT_DIR/<name>.onnx, OUT_DIR/<name>.A.npy and OUT_DIR/models.txt.
"""
import numpy as np, onnx, sys
from onnx import helper, TensorProto, numpy_helper
rng=np.random.default_rng(3)
K,N,bs=128,24,32
def model(signed, zp):
    q = rng.integers(-128 if signed else 0, 128 if signed else 256, size=(K,N)).astype(np.int8 if signed else np.uint8)
    sc = rng.uniform(0.001,0.01,size=(K//bs,N)).astype(np.float32)
    inits=[numpy_helper.from_array(q,"Wq"), numpy_helper.from_array(sc,"S")]
    ins=["Wq","S"]
    if zp:
        z=rng.integers(-20 if signed else 100, 20 if signed else 150, size=(K//bs,N)).astype(np.int8 if signed else np.uint8)
        inits.append(numpy_helper.from_array(z,"Z")); ins.append("Z")
    nodes=[helper.make_node("DequantizeLinear",ins,["W"],axis=0,block_size=bs,name="dq"),
           helper.make_node("MatMul",["A","W"],["Y"],name="mm")]
    g=helper.make_graph(nodes,"g",[helper.make_tensor_value_info("A",TensorProto.FLOAT,[3,K])],[helper.make_tensor_value_info("Y",TensorProto.FLOAT,[3,N])],inits)
    m=helper.make_model(g,opset_imports=[helper.make_opsetid("",21)]); m.ir_version=10
    return m
out=sys.argv[1]
import os
names=[]
for name,signed,zp in (("blocked_s8_zp",True,True),("blocked_u8_zp",False,True),("blocked_s8",True,False)):
    onnx.save(model(signed,zp), os.path.join(out,name+".onnx")); names.append(name)
    np.save(os.path.join(out,name+".A.npy"), rng.standard_normal((3,K)).astype(np.float32))
open(os.path.join(out,"models.txt"),"w").write("\n".join(names)+"\n")
